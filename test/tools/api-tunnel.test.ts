/**
 * The CI deploy's tunnel to the API server (.github/scripts/api-tunnel.sh) against
 * stand-ins for the AWS CLI and the session-manager-plugin: the stand-in `aws` records
 * its arguments and, for `ssm start-session`, listens on the requested local port the
 * way the plugin does. Shows that `start` asks for a port-forwarding session to 6443 on
 * the instance, returns only once the local port answers, and that `stop` ends the
 * session; and that every failure (agent offline, session refused, port never opening,
 * bad input, missing plugin) stops with the reason instead of hanging.
 */
import { spawnSync } from "node:child_process";
import * as fs from "node:fs";
import * as net from "node:net";
import * as os from "node:os";
import * as path from "node:path";

jest.setTimeout(60_000);

const SCRIPT = path.resolve(__dirname, "..", "..", ".github", "scripts", "api-tunnel.sh");
const INSTANCE = "i-0123456789abcdef0";

const FAKE_AWS = `#!/usr/bin/env bash
echo "$*" >> "$FAKE_DIR/aws.log"
case "$1 $2" in
  "ssm describe-instance-information") echo "\${FAKE_PING:-Online}" ;;
  "ssm terminate-session") echo "{}" ;;
  "ssm start-session")
    if [ "\${FAKE_MODE:-ok}" = refused ]; then
      echo "An error occurred (AccessDeniedException) when calling the StartSession operation: not authorized" >&2
      exit 254
    fi
    port="$(sed -n 's/.*localPortNumber=\\([0-9]*\\).*/\\1/p' <<<"$*")"
    echo "Starting session with SessionId: ci-deploy-0a1b2c3d4e5f"
    echo "Port $port opened for sessionId ci-deploy-0a1b2c3d4e5f."
    if [ "\${FAKE_MODE:-ok}" = silent ]; then exec sleep 300; fi
    exec node -e 'require("net").createServer((s) => s.end()).listen(Number(process.argv[1]), "127.0.0.1", () => console.log("Waiting for connections..."))' "$port"
    ;;
  *) echo "unexpected: $*" >&2; exit 2 ;;
esac
`;

let work: string;
let bin: string;
beforeEach(() => {
  work = fs.mkdtempSync(path.join(os.tmpdir(), "api-tunnel-"));
  bin = path.join(work, "bin");
  fs.mkdirSync(bin);
  fs.writeFileSync(path.join(bin, "aws"), FAKE_AWS, { mode: 0o755 });
  fs.writeFileSync(path.join(bin, "session-manager-plugin"), "#!/bin/sh\nexit 0\n", { mode: 0o755 });
});
afterEach(() => {
  tunnel(["stop"]);
  fs.rmSync(work, { recursive: true, force: true });
});

function tunnel(args: string[], env: Record<string, string> = {}) {
  const r = spawnSync("bash", [SCRIPT, ...args], {
    encoding: "utf8",
    env: { PATH: `${bin}:${process.env.PATH}`, HOME: work, FAKE_DIR: work, TUNNEL_DIR: path.join(work, "tunnel"), AWS_REGION: "eu-west-1", ...env },
  });
  return { code: r.status, out: `${r.stdout}${r.stderr}` };
}

const awsCalls = () => (fs.existsSync(path.join(work, "aws.log")) ? fs.readFileSync(path.join(work, "aws.log"), "utf8").trim().split("\n") : []);

async function freePort(): Promise<number> {
  const server = net.createServer();
  await new Promise<void>((r) => server.listen(0, "127.0.0.1", r));
  const { port } = server.address() as net.AddressInfo;
  await new Promise((r) => server.close(r));
  return port;
}

function connects(port: number): Promise<boolean> {
  return new Promise((resolve) => {
    const s = net.connect(port, "127.0.0.1");
    s.on("connect", () => (s.destroy(), resolve(true)));
    s.on("error", () => resolve(false));
  });
}

test("start opens a port-forwarding session to 6443 on the instance and returns once the local port answers; stop ends it", async () => {
  const port = await freePort();
  const started = tunnel(["start", INSTANCE, String(port)]);
  expect(started).toEqual({ code: 0, out: expect.stringContaining(`tunnel up: https://127.0.0.1:${port}`) });
  expect(await connects(port)).toBe(true);
  expect(awsCalls()).toEqual([
    `ssm describe-instance-information --filters Key=InstanceIds,Values=${INSTANCE} --query InstanceInformationList[0].PingStatus --output text`,
    `ssm start-session --target ${INSTANCE} --document-name AWS-StartPortForwardingSession --parameters portNumber=6443,localPortNumber=${port}`,
  ]);
  expect(tunnel(["start", INSTANCE, String(port)]).out).toContain("already running");

  const stopped = tunnel(["stop"]);
  expect(stopped).toEqual({ code: 0, out: expect.stringContaining("tunnel closed") });
  expect(awsCalls()).toContain("ssm terminate-session --session-id ci-deploy-0a1b2c3d4e5f");
  expect(await connects(port)).toBe(false);
});

test("stops with the reason when the agent is not online", () => {
  const r = tunnel(["start", INSTANCE, "16443"], { FAKE_PING: "ConnectionLost", TUNNEL_WAIT_SECONDS: "1" });
  expect(r.code).toBe(1);
  expect(r.out).toContain(`the agent on ${INSTANCE} is not online after 1s (last: ConnectionLost)`);
  expect(awsCalls().some((c) => c.startsWith("ssm start-session"))).toBe(false);
});

test("shows Session Manager's answer when the session is refused", async () => {
  const r = tunnel(["start", INSTANCE, String(await freePort())], { FAKE_MODE: "refused" });
  expect(r.code).toBe(1);
  expect(r.out).toContain("the session ended before the port opened");
  expect(r.out).toContain("AccessDeniedException");
});

test("gives up and ends the session when the local port never opens", async () => {
  const port = await freePort();
  const r = tunnel(["start", INSTANCE, String(port)], { FAKE_MODE: "silent", TUNNEL_WAIT_SECONDS: "2" });
  expect(r.code).toBe(1);
  expect(r.out).toContain(`127.0.0.1:${port} did not open within 2s`);
  expect(r.out).toContain("tunnel closed");
  expect(fs.existsSync(path.join(work, "tunnel", "pid"))).toBe(false);
});

test("refuses bad input and a missing plugin before calling AWS", () => {
  expect(tunnel(["start", "web-1"]).out).toContain("not an EC2 instance id: 'web-1'");
  expect(tunnel(["start", INSTANCE, "70000"]).out).toContain("not a TCP port: '70000'");
  expect(tunnel(["start", INSTANCE], { AWS_REGION: "" }).out).toContain("AWS_REGION is not set");
  expect(tunnel(["open"]).out).toContain("usage: api-tunnel.sh start");
  fs.rmSync(path.join(bin, "session-manager-plugin"));
  const r = tunnel(["start", INSTANCE]);
  expect(r).toEqual({ code: 1, out: expect.stringContaining("session-manager-plugin is not on PATH") });
  expect(awsCalls()).toEqual([]);
});
