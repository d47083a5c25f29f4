/**
 * Runs charts/dlstreamer/pipeline-status.sh with a real POSIX shell and curl
 * against two stand-in pipeline server "pods" (127.0.0.1 and 127.0.0.2, same
 * port, as pods share the container port). Only name resolution is stubbed:
 * `getent` (glibc images) or busybox-style `nslookup` (the curl image).
 */
import * as fs from "node:fs";
import * as http from "node:http";
import * as os from "node:os";
import * as path from "node:path";
import { freePort, run, RunResult } from "./support/processes";

const SCRIPT = path.join(__dirname, "../../charts/dlstreamer/pipeline-status.sh");
const SERVICE = "pipeline-server.dlstreamer.svc.cluster.local";

const statusOf: Record<string, { code: number; body: string }> = {
  "127.0.0.1": { code: 200, body: JSON.stringify([{ id: "a1", state: "RUNNING", avg_fps: 14.5 }]) },
  "127.0.0.2": { code: 200, body: JSON.stringify([{ id: "b1", state: "COMPLETED" }, { id: "b2", state: "ERROR", message: 'bad "uri"' }]) },
};

let port: number;
let servers: http.Server[] = [];
const workdir = fs.mkdtempSync(path.join(os.tmpdir(), "pipeline-status-"));

beforeAll(async () => {
  port = await freePort();
  servers = await Promise.all(
    Object.keys(statusOf).map(
      (address) =>
        new Promise<http.Server>((resolve) => {
          const server = http.createServer((req, res) => {
            const answer = req.url === "/pipelines/status" ? statusOf[address] : { code: 404, body: "" };
            res.writeHead(answer.code, { "content-type": "application/json" }).end(answer.body);
          });
          server.listen(port, address, () => resolve(server));
        }),
    ),
  );
});

afterAll(async () => {
  await Promise.all(servers.map((s) => new Promise((r) => s.close(r))));
  fs.rmSync(workdir, { recursive: true, force: true });
});

/** A directory of stub programs to put first on PATH. */
function stubs(name: string, programs: Record<string, string>): string {
  const dir = path.join(workdir, name);
  fs.mkdirSync(dir, { recursive: true });
  for (const [program, body] of Object.entries(programs)) {
    fs.writeFileSync(path.join(dir, program), `#!/bin/sh\n${body}\n`, { mode: 0o755 });
  }
  return dir;
}

const GETENT = stubs("getent", {
  getent: `[ "$1" = ahostsv4 ] && [ "$2" = "${SERVICE}" ] || exit 2
printf '127.0.0.2       STREAM ${SERVICE}\\n127.0.0.2       DGRAM\\n127.0.0.1       STREAM\\n127.0.0.1       RAW\\n'`,
});

// Busybox nslookup output: the server block first, then the answers.
const NSLOOKUP = stubs("nslookup", {
  getent: "exit 2",
  nslookup: `[ "$1" = "${SERVICE}" ] || { echo "** server can't find $1: NXDOMAIN"; exit 1; }
printf 'Server:\\t\\t10.96.0.10\\nAddress:\\t10.96.0.10:53\\n\\nName:\\t${SERVICE}\\nAddress: 127.0.0.1\\nName:\\t${SERVICE}\\nAddress: 127.0.0.2\\n\\n'`,
});

function runScript(stubDir: string, env: Record<string, string> = {}): Promise<RunResult> {
  return run("sh", [SCRIPT], {
    timeoutMs: 20000,
    env: { PATH: `${stubDir}:${process.env.PATH ?? ""}`, PIPELINE_PORT: String(port), CURL_TIMEOUT: "3", ...env },
  });
}

interface PodStatus {
  pod: string;
  status?: { id: string; state: string }[];
  error?: string;
}

test("is shellcheck-clean (POSIX sh)", async () => {
  const result = await run("shellcheck", ["-s", "sh", SCRIPT]);
  expect(result.stdout).toBe("");
  expect(result.code).toBe(0);
});

test("merges the status of every pod found through getent", async () => {
  const result = await runScript(GETENT);
  expect(result.stderr).toBe("");
  expect(result.code).toBe(0);
  const merged = JSON.parse(result.stdout) as PodStatus[];
  expect(merged.map((p) => p.pod)).toEqual(["127.0.0.1", "127.0.0.2"]);
  expect(merged[0].status?.map((s) => s.id)).toEqual(["a1"]);
  expect(merged[1].status?.map((s) => `${s.id}:${s.state}`)).toEqual(["b1:COMPLETED", "b2:ERROR"]);
});

test("finds the pods through busybox nslookup when getent cannot", async () => {
  const result = await runScript(NSLOOKUP);
  expect(result.code).toBe(0);
  const merged = JSON.parse(result.stdout) as PodStatus[];
  // The DNS server's own address (10.96.0.10) is not a pod.
  expect(merged.map((p) => p.pod)).toEqual(["127.0.0.1", "127.0.0.2"]);
});

test("reports a pod that does not answer, still as valid JSON, and exits 1", async () => {
  const saved = statusOf["127.0.0.2"];
  statusOf["127.0.0.2"] = { code: 500, body: '{"error":"boom"}' };
  try {
    const result = await runScript(GETENT);
    expect(result.code).toBe(1);
    const merged = JSON.parse(result.stdout) as PodStatus[];
    expect(merged[0].status?.[0].state).toBe("RUNNING");
    expect(merged[1].status).toBeUndefined();
    expect(merged[1].error).toMatch(/500/);
    expect(result.stderr).toContain("127.0.0.2: no status");
  } finally {
    statusOf["127.0.0.2"] = saved;
  }
});

test("exits 2 with an empty list when the Service has no ready pod", async () => {
  const result = await runScript(GETENT, { PIPELINE_SERVICE: "nothing.dlstreamer.svc.cluster.local" });
  expect(result.code).toBe(2);
  expect(JSON.parse(result.stdout)).toEqual([]);
  expect(result.stderr).toContain("no pod address found for nothing.dlstreamer.svc.cluster.local");
});
