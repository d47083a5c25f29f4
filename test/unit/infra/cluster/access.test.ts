/**
 * The wait for the API server: bounded, with an error that says where to look,
 * and never during `pulumi preview` (nothing may need the cluster then).
 */
import { execFileSync } from "node:child_process";
import * as fs from "node:fs";
import * as https from "node:https";
import * as os from "node:os";
import * as path from "node:path";
import { installPulumiMocks, valueOf } from "../../support/pulumi-mocks";

const mocks = installPulumiMocks({ preview: true });

import * as pulumi from "@pulumi/pulumi";
import { ClusterAccess, ClusterNotReadyError, httpsReadyzProbe, ReadyzProbe, waitForReadyz } from "../../../../infra/cluster/access";

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
  });
});

describe("ClusterAccess", () => {
  const args = (probe: ReadyzProbe) => ({
    kubeconfig: pulumi.secret("apiVersion: v1\nkind: Config\n"),
    apiServerUrl: pulumi.output("https://198.51.100.20:6443"),
    caCertPem: pulumi.output("CA"),
    sessionCommand: pulumi.output(SESSION),
    readyTimeoutMinutes: 20,
    probe,
  });

  it("does not contact the cluster during preview", async () => {
    const probe = jest.fn<ReturnType<ReadyzProbe>, Parameters<ReadyzProbe>>(async () => ({ status: 200, body: "ok" }));
    const access = new ClusterAccess("preview", args(probe));
    expect(await valueOf(access.readiness)).toBe("preview");
    await mocks.settle();
    expect(probe).not.toHaveBeenCalled();
    const provider = mocks.one("pulumi:providers:kubernetes", "preview");
    expect(provider.inputs.deleteUnreachable).toBe("true");
  });

  it("waits for /readyz before handing the kubeconfig to the provider on `pulumi up`", async () => {
    // Same program, not a preview this time.
    require("@pulumi/pulumi/runtime/settings").setMockOptions( // eslint-disable-line @typescript-eslint/no-require-imports
      require("@pulumi/pulumi/runtime/settings").getMonitor(), // eslint-disable-line @typescript-eslint/no-require-imports
      "kubeadm-aws-platform",
      "unit",
      false,
    );
    const order: string[] = [];
    const probe: ReadyzProbe = async () => {
      order.push("probe");
      return { status: 200, body: "ok" };
    };
    const access = new ClusterAccess("up", args(probe));
    expect(await valueOf(access.readiness)).toBe("ready");
    await mocks.settle();
    expect(order).toEqual(["probe"]);
    const provider = mocks.one("pulumi:providers:kubernetes", "up");
    expect(JSON.stringify(provider.inputs.kubeconfig)).toContain("kind: Config");
  });
});
