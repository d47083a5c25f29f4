/**
 * Hands the rendered HAProxy configuration to a real HAProxy (Debian package):
 * `haproxy -c` on the configuration the chart ships, a running HAProxy
 * that discovers "pods" through DNS SRV records, health-checks them and
 * follows pods coming and going without any reload, and the sticky cookie
 * that keeps a pipeline instance's follow-up calls on the pod that created it.
 * Everything listens on 127.0.0.1; every wait is bounded.
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
const SRV_NAME = `_http._tcp.${SERVICE}`;
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

/** A pipeline-server stand-in on a free loopback port; subclasses answer the requests. */
abstract class LoopbackPipelineServer {
  port = 0;
  private readonly server = http.createServer((req, res) => this.handle(req, res));

  constructor(readonly name: string) {}

  protected abstract handle(req: http.IncomingMessage, res: http.ServerResponse): void;

  async start(): Promise<void> {
    await new Promise<void>((resolve) => this.server.listen(0, "127.0.0.1", resolve));
    this.port = (this.server.address() as { port: number }).port;
  }

  stop(): Promise<void> {
    this.server.closeAllConnections();
    return new Promise((resolve) => this.server.close(() => resolve()));
  }
}

/** A stand-in pipeline server: answers the health check and names itself on every request. */
class FakePipelineServer extends LoopbackPipelineServer {
  healthy = true;
  requests = 0;

  protected handle(req: http.IncomingMessage, res: http.ServerResponse): void {
    if (req.url === "/pipelines" && req.method === "GET" && !this.healthy) {
      res.writeHead(503).end();
      return;
    }
    this.requests++;
    res.writeHead(200, { "content-type": "application/json" }).end(JSON.stringify({ pod: this.name }));
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

/**
 * HAProxy running the file the chart ships, with only the DNS server and the
 * bind addresses moved to this machine: same discovery, checks, cookies and timings.
 */
async function startShippedHaproxy(file: string, dnsPort: number): Promise<{ haproxy: Daemon; listenPort: number; statsPort: number }> {
  const listenPort = await freePort();
  const statsPort = await freePort();
  const shipped = shippedFile("haproxy-config", "haproxy.cfg");
  const config = shipped
    .replace(/^ {2}parse-resolv-conf$/m, `  nameserver fake-cluster-dns 127.0.0.1:${dnsPort}`)
    .replace(/^ {2}bind :8080$/m, `  bind 127.0.0.1:${listenPort}`)
    .replace(/^ {2}bind :8404$/m, `  bind 127.0.0.1:${statsPort}`);
  expect(config.split("\n").filter((line, i) => line !== shipped.split("\n")[i])).toHaveLength(3);
  // -db: stay in the foreground, as in the container.
  const haproxy = new Daemon("haproxy", ["-db", "-f", writeConfig(file, config)]);
  await waitFor("HAProxy's /healthz", async () => ((await get(statsPort, "/healthz")).status === 200 ? true : undefined), 15000);
  return { haproxy, listenPort, statsPort };
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
    const started = await FakeClusterDns.start(SRV_NAME);
    dns = started.dns;
    dns.setPods([record(a)]);
    ({ haproxy, listenPort, statsPort } = await startShippedHaproxy("running.cfg", started.port));
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
    expect(dns.queries.some((q) => q.name === SRV_NAME && q.type === 33)).toBe(true);
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

/**
 * A stand-in pipeline server with the REST calls whose state is local to a
 * pod, as in the DL Streamer Pipeline Server: `POST /pipelines/{name}/{version}`
 * starts an instance and returns its id; `GET /pipelines/{id}/status` and
 * `DELETE /pipelines/{id}` answer 404 on any pod but the one that started it.
 */
class StatefulPipelineServer extends LoopbackPipelineServer {
  private readonly instances = new Set<string>();
  private next = 1;

  protected handle(req: http.IncomingMessage, res: http.ServerResponse): void {
    const [status, body] = this.answer(req.method ?? "GET", req.url ?? "");
    res.writeHead(status, { "content-type": "application/json" }).end(JSON.stringify(body));
  }

  private answer(method: string, url: string): [number, unknown] {
    if (method === "GET" && url === "/pipelines") return [200, [{ name: "user_defined_pipelines", version: "person_vehicle_bike" }]];
    if (method === "POST" && /^\/pipelines\/[^/]+\/[^/]+$/.test(url)) {
      // Ids are only unique per pod, as a counter or a random UUID would be.
      const id = `${this.next++}`;
      this.instances.add(id);
      return [200, { id, pod: this.name }];
    }
    const status = /^\/pipelines\/([^/]+)\/status$/.exec(url);
    if (method === "GET" && status && this.instances.has(status[1])) return [200, { id: status[1], state: "RUNNING", pod: this.name }];
    const instance = /^\/pipelines\/([^/]+)$/.exec(url);
    if (method === "DELETE" && instance && this.instances.delete(instance[1])) return [200, { id: instance[1], state: "ABORTED", pod: this.name }];
    return [404, {}];
  }
}

interface Reply {
  readonly status: number;
  readonly body: { id?: string; pod?: string };
  readonly setCookie: string[];
}

/** One request through HAProxy from a client whose cookie jar is `cookie` (none: a new client). */
function call(port: number, method: string, urlPath: string, cookie?: string): Promise<Reply> {
  return new Promise((resolve, reject) => {
    const headers = cookie ? { cookie } : {};
    const req = http.request({ host: "127.0.0.1", port, method, path: urlPath, headers, agent: false, timeout: 3000 }, (res) => {
      let text = "";
      res.on("data", (d) => (text += String(d)));
      res.on("end", () => resolve({ status: res.statusCode ?? 0, body: text ? (JSON.parse(text) as Reply["body"]) : {}, setCookie: res.headers["set-cookie"] ?? [] }));
    });
    req.on("timeout", () => req.destroy(new Error("request timed out")));
    req.on("error", reject);
    req.end();
  });
}

/** A pipeline instance started through HAProxy, with the cookie its client kept. */
interface Started {
  readonly id: string;
  readonly pod: string;
  readonly cookie: string;
}

describe("sticky sessions: a pipeline instance's follow-up calls reach the pod that created it", () => {
  let dns: FakeClusterDns;
  let haproxy: Daemon;
  let port: number;
  const pods = ["a", "b", "c"].map((n) => new StatefulPipelineServer(n));
  const [a, b, c] = pods;
  const record = (s: StatefulPipelineServer) => ({ target: `sticky-${s.name}.${SERVICE}`, ipv4: "127.0.0.1", port: s.port });

  beforeAll(async () => {
    for (const p of pods) await p.start();
    const started = await FakeClusterDns.start(SRV_NAME);
    dns = started.dns;
    dns.setPods([record(a), record(b)]);
    ({ haproxy, listenPort: port } = await startShippedHaproxy("sticky.cfg", started.port));
  }, 30000);

  afterAll(async () => {
    await haproxy?.stop();
    await dns?.close();
    for (const p of pods) await p.stop();
  });

  const fail = (e: unknown) => new Error(`${String(e)}\nHAProxy log:\n${haproxy.log}`);

  /** Starts instances from new clients (no cookie) until every pod in `expected` has created one. */
  async function startOnEvery(expected: string[], timeoutMs = 40000): Promise<Started[]> {
    const started: Started[] = [];
    const seen = new Set<string>();
    let cookies: string[] = [];
    try {
      await waitFor(`instances created on ${expected.join(", ")}`, async () => {
        const r = await call(port, "POST", "/pipelines/user_defined_pipelines/person_vehicle_bike");
        if (r.status !== 200 || !r.body.id || !r.body.pod) return undefined;
        // The client's cookie jar: what HAProxy set. Without a value of its own
        // per server, HAProxy sends an empty (deleting) cookie: stop and report it.
        cookies = r.setCookie.map((h) => h.split(";")[0]);
        const cookie = cookies.find((kv) => /^PIPELINE_SERVER=[0-9a-f]{8,}$/.test(kv));
        if (cookie === undefined) return false;
        started.push({ id: r.body.id, pod: r.body.pod, cookie });
        seen.add(r.body.pod);
        return expected.every((p) => seen.has(p)) ? true : undefined;
      }, timeoutMs, 300);
    } catch (e) {
      throw fail(e);
    }
    expect(cookies).toContainEqual(expect.stringMatching(/^PIPELINE_SERVER=[0-9a-f]{8,}$/));
    return started;
  }

  /** Every status call with the instance's cookie answers 200 from its creator. */
  async function expectFollowUps(instances: Started[], calls = 4): Promise<void> {
    for (const i of instances) {
      for (let n = 0; n < calls; n++) {
        const r = await call(port, "GET", `/pipelines/${i.id}/status`, i.cookie);
        expect({ instance: i.id, created: i.pod, status: r.status, answered: r.body.pod }).toEqual({ instance: i.id, created: i.pod, status: 200, answered: i.pod });
      }
    }
  }

  test("the cookie's value names a pod: with it, status calls reach the creator; without it, they do not", async () => {
    const started = await startOnEvery(["a", "b"]);
    // Ids are local to a pod: the same id exists on both, so only the pod answering tells.
    expect(new Set(started.map((s) => s.cookie)).size).toBe(2);
    await expectFollowUps(started);
    // The check can fail: without the cookie, the same status call is balanced
    // over both pods, and the other pod answers 404 or with its own instance of that id.
    const first = started[0];
    const answeredBy = new Set<string>();
    for (let n = 0; n < 10; n++) answeredBy.add((await call(port, "GET", `/pipelines/${first.id}/status`)).body.pod ?? "404");
    expect(answeredBy.size).toBeGreaterThan(1);
  }, 60000);

  test("after a pod is added, earlier instances still reach their creators, and DELETE does too", async () => {
    const before = await startOnEvery(["a", "b"]);
    const pid = haproxy.child.pid;
    dns.setPods([record(a), record(b), record(c)]);
    // New clients reach the new pod once HAProxy resolved and checked it.
    const after = await startOnEvery(["c"], 45000);
    expect(haproxy.child.pid).toBe(pid);
    await expectFollowUps([...before, ...after]);
    for (const i of [...before, ...after]) {
      const r = await call(port, "DELETE", `/pipelines/${i.id}`, i.cookie);
      expect({ instance: i.id, created: i.pod, status: r.status, answered: r.body.pod }).toEqual({ instance: i.id, created: i.pod, status: 200, answered: i.pod });
    }
  }, 90000);
});
