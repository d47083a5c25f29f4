/**
 * The wait for the API server: bounded, with an error that says where to look,
 * a resource of its own that the provider's kubeconfig depends on (so Pulumi's mocks
 * stand in for it like for any resource, and `pulumi preview` never runs it).
 */
import { execFileSync } from "node:child_process";
import * as fs from "node:fs";
import * as https from "node:https";
import * as os from "node:os";
import * as path from "node:path";
import { installPulumiMocks, valueOf } from "../../support/pulumi-mocks";

const mocks = installPulumiMocks({ preview: true });

import * as pulumi from "@pulumi/pulumi";
import {
  ApiServerReadyInputs,
  apiServerReadyProvider,
  ClusterAccess,
  clusterIdentifier,
  ClusterNotReadyError,
  httpsReadyzProbe,
  kubeconfigThroughLocalPort,
  ReadyzProbe,
  waitForReadyz,
} from "../../../../infra/cluster/access";

function fakeClock() {
  let t = 0;
  return { now: () => t, sleep: async (ms: number) => void (t += ms) };
}

const SESSION = "aws ssm start-session --target i-0abc --region eu-west-1";

describe("waitForReadyz", () => {
  it("returns once /readyz answers 200, after failures and non-200 answers", async () => {
    const answers: (Error | { status: number; body: string })[] = [
      new Error("connect ECONNREFUSED 198.51.100.20:6443"),
      { status: 500, body: "[-]etcd failed: reason withheld\nreadyz check failed" },
      { status: 200, body: "ok" },
    ];
    const seen: string[] = [];
    const probe: ReadyzProbe = async (server, ca) => {
      seen.push(`${server} ${ca}`);
      const a = answers.shift() as Error | { status: number; body: string };
      if (a instanceof Error) throw a;
      return a;
    };
    await waitForReadyz({ server: "https://198.51.100.20:6443", caCertPem: "CA", timeoutMs: 600_000, sessionCommand: SESSION, probe, ...fakeClock() });
    expect(seen).toEqual(Array(3).fill("https://198.51.100.20:6443 CA"));
  });

  it("gives up at the timeout with the last result and what to inspect on the node", async () => {
    const clock = fakeClock();
    let calls = 0;
    const probe: ReadyzProbe = async () => {
      calls++;
      return { status: 503, body: "[-]poststarthook/rbac/bootstrap-roles failed\nreadyz check failed" };
    };
    const error = await waitForReadyz({
      server: "https://198.51.100.20:6443",
      caCertPem: "CA",
      timeoutMs: 20 * 60_000,
      intervalMs: 10_000,
      sessionCommand: SESSION,
      probe,
      ...clock,
    }).catch((e: unknown) => e);
    expect(error).toBeInstanceOf(ClusterNotReadyError);
    const message = (error as Error).message;
    expect(message).toContain("within 20 min");
    expect(message).toContain("HTTP 503");
    expect(message).toContain("bootstrap-roles failed");
    for (const hint of [SESSION, "journalctl -u kubelet", "/var/log/cloud-init-output.log", "crictl ps", "apiAllowedCidrs"]) {
      expect(message).toContain(hint);
    }
    // Bounded: about timeout / interval attempts, then it stops.
    expect(calls).toBeGreaterThanOrEqual(120);
    expect(calls).toBeLessThanOrEqual(122);
    expect(clock.now()).toBe(20 * 60_000);
  });

  // Generating three RSA keys with openssl takes seconds on a busy machine.
  it("probes a real TLS endpoint, trusting only the cluster CA and sending no credentials", async () => {
    const dir = fs.mkdtempSync(path.join(os.tmpdir(), "readyz-"));
    const sh = (...args: string[]) => execFileSync("openssl", args, { cwd: dir, stdio: "pipe" });
    // A CA and a server certificate for 127.0.0.1, as kubeadm issues one for the Elastic IP.
    sh("req", "-x509", "-newkey", "rsa:2048", "-nodes", "-keyout", "ca.key", "-out", "ca.crt", "-days", "1", "-subj", "/CN=kubernetes");
    sh("req", "-newkey", "rsa:2048", "-nodes", "-keyout", "srv.key", "-out", "srv.csr", "-subj", "/CN=kube-apiserver");
    fs.writeFileSync(path.join(dir, "ext"), "subjectAltName=IP:127.0.0.1\n");
    sh("x509", "-req", "-in", "srv.csr", "-CA", "ca.crt", "-CAkey", "ca.key", "-CAcreateserial", "-out", "srv.crt", "-days", "1", "-extfile", "ext");
    sh("req", "-x509", "-newkey", "rsa:2048", "-nodes", "-keyout", "other.key", "-out", "other.crt", "-days", "1", "-subj", "/CN=other");
    const read = (f: string) => fs.readFileSync(path.join(dir, f), "utf8");
    const seen: { url?: string; auth?: string; cert?: boolean }[] = [];
    const server = https.createServer({ key: read("srv.key"), cert: read("srv.crt"), requestCert: true, rejectUnauthorized: false }, (req, res) => {
      seen.push({ url: req.url, auth: req.headers.authorization, cert: (req.socket as import("node:tls").TLSSocket).getPeerCertificate()?.subject !== undefined });
      res.writeHead(req.url === "/readyz" ? 200 : 404).end("ok");
    });
    await new Promise<void>((r) => server.listen(0, "127.0.0.1", r));
    const { port } = server.address() as { port: number };
    try {
      await expect(httpsReadyzProbe(`https://127.0.0.1:${port}`, read("ca.crt"))).resolves.toEqual({ status: 200, body: "ok" });
      await expect(httpsReadyzProbe(`https://127.0.0.1:${port}`, read("other.crt"))).rejects.toThrow(/self.signed|unable to verify|certificate/i);
    } finally {
      server.close();
      fs.rmSync(dir, { recursive: true, force: true });
    }
    expect(seen).toEqual([{ url: "/readyz", auth: undefined, cert: false }]);
  }, 60_000);
});

describe("ClusterAccess", () => {
  const args = {
    kubeconfig: pulumi.secret("apiVersion: v1\nkind: Config\n"),
    apiServerUrl: pulumi.output("https://198.51.100.20:6443"),
    caCertPem: pulumi.output("CA"),
    sessionCommand: pulumi.output(SESSION),
    controlPlaneInstanceId: pulumi.output("i-0abc"),
    readyTimeoutMinutes: 20,
  };

  it("declares the wait as a resource the provider's kubeconfig depends on, with no credential in its inputs", async () => {
    const access = new ClusterAccess("cluster", args);
    const readyId = await valueOf(access.ready.id);
    await mocks.settle();
    const step = mocks.one("pulumi-nodejs:dynamic/platform:ApiServerReady", "cluster-readyz");
    expect(step.inputs).toMatchObject({
      server: "https://198.51.100.20:6443",
      caCertPem: "CA",
      controlPlaneInstanceId: "i-0abc",
      timeoutMinutes: 20,
    });
    expect(JSON.stringify(step.inputs)).not.toContain("kind: Config");
    expect(readyId).toBeTruthy();
    const provider = mocks.one("pulumi:providers:kubernetes", "cluster");
    expect(JSON.stringify(provider.inputs.kubeconfig)).toContain("kind: Config");
    // Never by default: it would drop the objects of a live cluster that is only unreachable from here.
    expect(provider.inputs.deleteUnreachable).toBe("false");
    expect(provider.inputs.clusterIdentifier).toBe(clusterIdentifier("CA"));
  });

  it("reaches the API server through a local tunnel when given a port, with the same cluster identity", async () => {
    const url = "https://198.51.100.20:6443";
    const kubeconfig = `apiVersion: v1\nkind: Config\nclusters:\n- cluster:\n    server: ${url}\n  name: dev\n`;
    const access = new ClusterAccess("tunnel", { ...args, kubeconfig: pulumi.secret(kubeconfig), localPort: 16443, deleteUnreachable: true });
    await valueOf(access.ready.id);
    await mocks.settle();
    expect(mocks.one("pulumi-nodejs:dynamic/platform:ApiServerReady", "tunnel-readyz").inputs.server).toBe("https://127.0.0.1:16443");
    const provider = mocks.one("pulumi:providers:kubernetes", "tunnel");
    expect(JSON.stringify(provider.inputs.kubeconfig)).toContain("server: https://127.0.0.1:16443");
    expect(JSON.stringify(provider.inputs.kubeconfig)).not.toContain("198.51.100.20");
    expect(provider.inputs.deleteUnreachable).toBe("true");
    expect(provider.inputs.clusterIdentifier).toBe(clusterIdentifier("CA"));
  });

  it("rewrites only a kubeconfig that names the API server, to a real port", () => {
    const k = "server: https://203.0.113.9:6443\n";
    expect(kubeconfigThroughLocalPort(k, "https://203.0.113.9:6443", 6443)).toBe("server: https://127.0.0.1:6443\n");
    expect(() => kubeconfigThroughLocalPort(k, "https://198.51.100.1:6443", 6443)).toThrow("does not name the API server");
    expect(() => kubeconfigThroughLocalPort(k, "https://203.0.113.9:6443", 70000)).toThrow("not a TCP port");
    expect(clusterIdentifier("CA")).not.toBe(clusterIdentifier("another CA"));
  });
});

describe("the readiness step's provider, serialized as Pulumi stores it", () => {
  let provider: pulumi.dynamic.ResourceProvider;
  beforeAll(async () => {
    const fn = await pulumi.runtime.serializeFunction(() => apiServerReadyProvider, { isFactoryFunction: true });
    const file = path.join(fs.mkdtempSync(path.join(os.tmpdir(), "readyz-provider-")), "provider.js");
    fs.writeFileSync(file, fn.text);
    // As Pulumi's dynamic provider host reads it: the module's export is the provider object.
    provider = (require(file) as Record<string, pulumi.dynamic.ResourceProvider>)[fn.exportName]; // eslint-disable-line @typescript-eslint/no-require-imports
  }, 60_000);

  const inputs = (server: string, caCertPem: string, extra: Partial<ApiServerReadyInputs> = {}): ApiServerReadyInputs => ({
    server,
    caCertPem,
    sessionCommand: SESSION,
    timeoutMinutes: 1,
    controlPlaneInstanceId: "i-0abc",
    ...extra,
  });

  it("is created once /readyz answers, and waits again only when an input changes", async () => {
    const server = await readyzServer(200);
    try {
      const created = await provider.create(inputs(server.url, server.caCertPem));
      expect(server.requests()).toBe(1);
      const same = await provider.diff!(created.id, created.outs, inputs(server.url, server.caCertPem));
      expect(same.changes).toBe(false);
      // Another route to the same control plane (CI's tunnel) is nothing to wait for.
      const tunnelled = { ...inputs(server.url, server.caCertPem), server: "https://127.0.0.1:6443" };
      expect((await provider.diff!(created.id, created.outs, tunnelled)).changes).toBe(false);
      const replaced = inputs(server.url, server.caCertPem, { controlPlaneInstanceId: "i-0def" });
      expect((await provider.diff!(created.id, created.outs, replaced)).changes).toBe(true);
      await provider.update!(created.id, created.outs, replaced);
      expect(server.requests()).toBe(2);
    } finally {
      await server.close();
    }
  }, 30_000);

  it("fails with the where-to-look error when the API server never becomes ready", async () => {
    const server = await readyzServer(503);
    try {
      // 0.001 min: one probe, then the deadline.
      const error = await provider.create(inputs(server.url, server.caCertPem, { timeoutMinutes: 0.001 })).catch((e: unknown) => e);
      // The serialized copy has its own class object: compare by name.
      expect((error as Error).name).toBe("ClusterNotReadyError");
      expect((error as Error).message).toContain("HTTP 503");
    } finally {
      await server.close();
    }
  }, 30_000);
});

/** A TLS server for 127.0.0.1 signed by its own CA, answering `/readyz` with `status`. */
async function readyzServer(status: number) {
  const dir = fs.mkdtempSync(path.join(os.tmpdir(), "readyz-step-"));
  const sh = (...a: string[]) => execFileSync("openssl", a, { cwd: dir, stdio: "pipe" });
  sh("req", "-x509", "-newkey", "rsa:2048", "-nodes", "-keyout", "ca.key", "-out", "ca.crt", "-days", "1", "-subj", "/CN=kubernetes");
  sh("req", "-newkey", "rsa:2048", "-nodes", "-keyout", "srv.key", "-out", "srv.csr", "-subj", "/CN=kube-apiserver");
  fs.writeFileSync(path.join(dir, "ext"), "subjectAltName=IP:127.0.0.1\n");
  sh("x509", "-req", "-in", "srv.csr", "-CA", "ca.crt", "-CAkey", "ca.key", "-CAcreateserial", "-out", "srv.crt", "-days", "1", "-extfile", "ext");
  const read = (f: string) => fs.readFileSync(path.join(dir, f), "utf8");
  let count = 0;
  const server = https.createServer({ key: read("srv.key"), cert: read("srv.crt") }, (req, res) => {
    if (req.url === "/readyz") count++;
    res.writeHead(req.url === "/readyz" ? status : 404).end(status === 200 ? "ok" : "[-]etcd failed");
  });
  await new Promise<void>((r) => server.listen(0, "127.0.0.1", r));
  const { port } = server.address() as { port: number };
  const caCertPem = read("ca.crt");
  fs.rmSync(dir, { recursive: true, force: true });
  return {
    url: `https://127.0.0.1:${port}`,
    caCertPem,
    requests: () => count,
    close: () =>
      new Promise<void>((r) => {
        server.close(() => r());
        server.closeAllConnections();
      }),
  };
}
