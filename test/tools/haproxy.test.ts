/**
 * Hands the rendered HAProxy configuration to a real HAProxy (Debian package):
 * `haproxy -c` on the configuration the chart ships, and a running HAProxy
 * that discovers "pods" through DNS SRV records, health-checks them and
 * follows pods coming and going without any reload.
 */
import * as fs from "node:fs";
import * as http from "node:http";
import * as os from "node:os";
import * as path from "node:path";
import { renderHaproxyConfig } from "../../charts/dlstreamer/haproxy-config";
import { FakeClusterDns } from "./support/dns-server";
import { shippedFile } from "./support/dlstreamer-files";
import { Daemon, freePort, run, waitFor } from "./support/processes";

const SERVICE = "pipeline-server.dlstreamer.svc.cluster.local";
let workdir: string;

beforeAll(() => {
  workdir = fs.mkdtempSync(path.join(os.tmpdir(), "haproxy-test-"));
});
afterAll(() => fs.rmSync(workdir, { recursive: true, force: true }));

function writeConfig(name: string, text: string): string {
  const file = path.join(workdir, name);
  fs.writeFileSync(file, text);
  return file;
}

describe("haproxy -c", () => {
  test("accepts the configuration the chart ships (cluster DNS from resolv.conf)", async () => {
    const shipped = shippedFile("haproxy-config", "haproxy.cfg");
    expect(shipped).toContain("parse-resolv-conf");
    const file = writeConfig("default.cfg", shipped);
    const result = await run("haproxy", ["-c", "-f", file]);
    expect(result.stderr + result.stdout).toContain("Configuration file is valid");
    expect(result.code).toBe(0);
    // A warning would mean HAProxy ignores or reinterprets part of the file.
    expect(result.stderr + result.stdout).not.toMatch(/\[WARNING\]|\[ALERT\]/);
  });

  test("accepts the configuration the chart ships for an autoscaled, slow pipeline server set", async () => {
    const shipped = shippedFile("haproxy-config", "haproxy.cfg", {
      pipelineServer: { autoscaling: { minReplicas: 2, maxReplicas: 50 } },
      haproxy: { serverTimeoutSeconds: 600 },
    });
    expect(shipped).toContain("server-template pipeline-server 50 ");
    const result = await run("haproxy", ["-c", "-f", writeConfig("autoscaled.cfg", shipped)]);
    expect(result.code).toBe(0);
  });

  test("accepts a non-default configuration", async () => {
    const text = renderHaproxyConfig({
      serviceFqdn: "ps.video.svc.example.internal",
      servicePortName: "rest",
      maxServers: 64,
      listenPort: 9000,
      statsPort: 9404,
      healthCheckPath: "/pipelines/status",
      nameservers: ["10.96.0.10:53", "10.96.0.11:53"],
      timeouts: { connect: 2, client: 300, server: 300, queue: 5 },
    });
    const result = await run("haproxy", ["-c", "-f", writeConfig("custom.cfg", text)]);
    expect(result.code).toBe(0);
  });

  test("rejects a broken configuration (the check is real)", async () => {
    const broken = shippedFile("haproxy-config", "haproxy.cfg").replace("balance leastconn", "balance fewest-connections");
    const result = await run("haproxy", ["-c", "-f", writeConfig("broken.cfg", broken)]);
    expect(result.code).not.toBe(0);
    expect(result.stderr + result.stdout).toMatch(/balance only supports/);
  });
});

/** A stand-in pipeline server: answers the health check and names itself on every request. */
class FakePipelineServer {
  healthy = true;
  requests = 0;
  private readonly server: http.Server;
  port = 0;

  constructor(readonly name: string) {
    this.server = http.createServer((req, res) => {
      if (req.url === "/pipelines" && req.method === "GET" && !this.healthy) {
        res.writeHead(503).end();
        return;
      }
      this.requests++;
      res.writeHead(200, { "content-type": "application/json" }).end(JSON.stringify({ pod: this.name }));
    });
  }

  async start(): Promise<void> {
    await new Promise<void>((resolve) => this.server.listen(0, "127.0.0.1", resolve));
    this.port = (this.server.address() as { port: number }).port;
  }

  stop(): Promise<void> {
    this.server.closeAllConnections();
    return new Promise((resolve) => this.server.close(() => resolve()));
  }
}

function get(port: number, urlPath: string): Promise<{ status: number; body: string }> {
  return new Promise((resolve, reject) => {
    const req = http.get({ host: "127.0.0.1", port, path: urlPath, agent: false, timeout: 3000 }, (res) => {
      let body = "";
      res.on("data", (d) => (body += String(d)));
      res.on("end", () => resolve({ status: res.statusCode ?? 0, body }));
    });
    req.on("timeout", () => req.destroy(new Error("request timed out")));
    req.on("error", reject);
  });
}

/** Which pods answer `n` requests sent through HAProxy. */
async function podsAnswering(port: number, n: number): Promise<Set<string>> {
  const pods = new Set<string>();
  for (let i = 0; i < n; i++) {
    const res = await get(port, "/pipelines/status");
    if (res.status === 200) pods.add((JSON.parse(res.body) as { pod: string }).pod);
    else pods.add(`HTTP ${res.status}`);
  }
  return pods;
}

const sameSet = (a: Set<string>, b: string[]) => a.size === b.length && b.every((x) => a.has(x));

describe("a running HAProxy with the configuration the chart ships", () => {
  let dns: FakeClusterDns;
  let haproxy: Daemon;
  let listenPort: number;
  let statsPort: number;
  const a = new FakePipelineServer("a");
  const b = new FakePipelineServer("b");
  const record = (s: FakePipelineServer) => ({ target: `pod-${s.name}.${SERVICE}`, ipv4: "127.0.0.1", port: s.port });

  beforeAll(async () => {
    await a.start();
    await b.start();
    const started = await FakeClusterDns.start(`_http._tcp.${SERVICE}`);
    dns = started.dns;
    dns.setPods([record(a)]);
    listenPort = await freePort();
    statsPort = await freePort();
    // The file the chart ships, with only the DNS server and the bind
    // addresses moved to this machine: same discovery, checks and timings.
    const shipped = shippedFile("haproxy-config", "haproxy.cfg");
    const config = shipped
      .replace(/^ {2}parse-resolv-conf$/m, `  nameserver fake-cluster-dns 127.0.0.1:${started.port}`)
      .replace(/^ {2}bind :8080$/m, `  bind 127.0.0.1:${listenPort}`)
      .replace(/^ {2}bind :8404$/m, `  bind 127.0.0.1:${statsPort}`);
    expect(config.split("\n").filter((line, i) => line !== shipped.split("\n")[i])).toHaveLength(3);
    // -db: stay in the foreground, as in the container.
    haproxy = new Daemon("haproxy", ["-db", "-f", writeConfig("running.cfg", config)]);
    await waitFor("HAProxy's /healthz", async () => ((await get(statsPort, "/healthz")).status === 200 ? true : undefined), 15000);
  }, 30000);

  afterAll(async () => {
    await haproxy?.stop();
    await dns?.close();
    await a.stop();
    await b.stop();
  });

  // Health checks every 5 s, 3 failures to go down and 2 successes to come
  // back, DNS re-asked every 5 s: changes show within about 20 s.
  const expectOnly = async (pods: string[], timeoutMs = 40000) => {
    try {
      await waitFor(`traffic to exactly ${pods.join(", ")}`, async () => (sameSet(await podsAnswering(listenPort, 8), pods) ? true : undefined), timeoutMs, 500);
    } catch (e) {
      throw new Error(`${String(e)}\nHAProxy log:\n${haproxy.log}`);
    }
  };

  test("discovers the pod behind the SRV record and health-checks it", async () => {
    await expectOnly(["a"]);
    expect(dns.queries.some((q) => q.name === `_http._tcp.${SERVICE}` && q.type === 33)).toBe(true);
  }, 60000);

  test("sends traffic to a new pod without a reload", async () => {
    const pid = haproxy.child.pid;
    dns.setPods([record(a), record(b)]);
    await expectOnly(["a", "b"]);
    expect(haproxy.child.pid).toBe(pid);
    expect(haproxy.exited).toBe(false);
  }, 60000);

  test("stops sending traffic to a pod that failed its health check", async () => {
    b.healthy = false;
    await expectOnly(["a"]);
    b.healthy = true;
    await expectOnly(["a", "b"]);
  }, 90000);

  test("stops sending traffic to a pod removed from DNS", async () => {
    dns.setPods([record(b)]);
    await expectOnly(["b"]);
  }, 60000);

  test("serves Prometheus metrics on the stats port", async () => {
    const res = await get(statsPort, "/metrics");
    expect(res.status).toBe(200);
    expect(res.body).toMatch(/^haproxy_backend_active_servers\{proxy="pipeline-servers"\} 1$/m);
  });
});
