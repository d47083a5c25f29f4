/**
 * imds-firewall.sh (as the user-data installs it) with the real iptables/ip6tables, in a
 * network namespace of its own: the instance metadata addresses are served there by a
 * small HTTP server, root reaches them, `nobody` (node-exporter's user on the host
 * network) does not, other addresses stay reachable for everyone, and a second run adds
 * no second rule. Needs root (a network namespace and setpriv), as CI has.
 */
import { spawn, spawnSync, ChildProcess } from "child_process";
import * as fs from "fs";
import * as os from "os";
import * as path from "path";
import { nodeScript, readBootstrapFile } from "../../infra/nodes/user-data";

jest.setTimeout(120_000);

const NS = `imdsfw-${process.pid}`;
const IMDS_V4 = "169.254.169.254";
const IMDS_V6 = "fd00:ec2::254";
const OTHER_V4 = "10.99.0.1";
const NOBODY = ["--reuid=65534", "--regid=65534", "--clear-groups", "--"];

function inNs(args: string[], opts: { asNobody?: boolean } = {}) {
  const argv = opts.asNobody ? ["setpriv", ...NOBODY, ...args] : args;
  return spawnSync("ip", ["netns", "exec", NS, ...argv], { encoding: "utf8", timeout: 30_000 });
}

function must(args: string[]): string {
  const r = inNs(args);
  if (r.status !== 0) throw new Error(`${args.join(" ")} failed (${r.status}): ${r.stderr}`);
  return r.stdout;
}

/** HTTP status of a GET, or the curl exit code as `curl:<n>` when nothing answered. */
function get(host: string, asNobody: boolean): string {
  const url = host.includes(":") ? `http://[${host}]:80/` : `http://${host}:80/`;
  const r = inNs(["curl", "-s", "-o", "/dev/null", "-w", "%{http_code}", "--max-time", "2", url], { asNobody });
  return r.status === 0 ? r.stdout : `curl:${r.status}`;
}

function rulesFor(tables: string, address: string): string[] {
  return must([tables, "-w", "-t", "mangle", "-S", "OUTPUT"])
    .split("\n")
    .filter((l) => l.includes(address));
}

describe("imds-firewall.sh in a network namespace (real iptables)", () => {
  const servers: ChildProcess[] = [];
  let script: string;

  beforeAll(async () => {
    if (process.getuid?.() !== 0) throw new Error("this test needs root (a network namespace, iptables and setpriv); run it as CI does, as root");
    spawnSync("ip", ["netns", "del", NS]);
    const add = spawnSync("ip", ["netns", "add", NS], { encoding: "utf8" });
    if (add.status !== 0) throw new Error(`ip netns add: ${add.stderr}`);
    must(["ip", "link", "set", "lo", "up"]);
    must(["ip", "addr", "add", `${IMDS_V4}/32`, "dev", "lo"]);
    must(["ip", "addr", "add", `${OTHER_V4}/32`, "dev", "lo"]);
    must(["ip", "-6", "addr", "add", `${IMDS_V6}/128`, "dev", "lo", "nodad"]);
    for (const host of [IMDS_V4, OTHER_V4, IMDS_V6]) {
      servers.push(spawn("ip", ["netns", "exec", NS, "python3", "-m", "http.server", "--bind", host, "80"], { stdio: "ignore" }));
    }
    const deadline = Date.now() + 20_000;
    while ([IMDS_V4, OTHER_V4, IMDS_V6].some((h) => get(h, false) !== "200")) {
      if (Date.now() > deadline) throw new Error("the stand-in metadata servers did not start");
      await new Promise((r) => setTimeout(r, 200));
    }
    script = path.join(fs.mkdtempSync(path.join(os.tmpdir(), "imds-firewall-")), "imds-firewall.sh");
    fs.writeFileSync(script, nodeScript(readBootstrapFile("imds-firewall.sh")), { mode: 0o755 });
  });

  afterAll(() => {
    for (const s of servers) s.kill();
    spawnSync("ip", ["netns", "del", NS]);
  });

  test("before the rule, nobody reaches the metadata address (the control case)", () => {
    expect(get(IMDS_V4, true)).toBe("200");
    expect(get(IMDS_V6, true)).toBe("200");
  });

  test("after it, root still reaches IMDS and nobody does not, over IPv4 and IPv6", () => {
    const r = inNs(["bash", script]);
    expect(r.stderr).toContain(`${IMDS_V4}/32: closed to non-root processes`);
    expect(r.status).toBe(0);
    expect(get(IMDS_V4, false)).toBe("200");
    expect(get(IMDS_V6, false)).toBe("200");
    expect(get(IMDS_V4, true)).toMatch(/^curl:/);
    expect(get(IMDS_V6, true)).toMatch(/^curl:/);
  });

  test("an ACCEPT in the filter table (as Calico and kube-proxy add) does not let nobody through", () => {
    must(["iptables", "-w", "-t", "filter", "-I", "OUTPUT", "1", "-j", "ACCEPT"]);
    try {
      expect(get(IMDS_V4, true)).toMatch(/^curl:/);
      expect(get(IMDS_V4, false)).toBe("200");
    } finally {
      must(["iptables", "-w", "-t", "filter", "-D", "OUTPUT", "-j", "ACCEPT"]);
    }
  });

  test("other addresses stay reachable for every user", () => {
    expect(get(OTHER_V4, true)).toBe("200");
  });

  test("a second run (every boot runs it) adds no second rule", () => {
    const r = inNs(["bash", script]);
    expect(r.status).toBe(0);
    expect(r.stderr).toContain("already closed");
    expect(rulesFor("iptables", IMDS_V4)).toHaveLength(1);
    expect(rulesFor("ip6tables", IMDS_V6)).toHaveLength(1);
  });
});
