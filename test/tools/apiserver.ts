/**
 * A real Kubernetes API server for tests: the kube-apiserver binary of the pinned
 * release (built by build-tools.sh) on a loopback port, backed by a real etcd with a
 * temporary data directory, a generated CA and serving certificate, and a static
 * bearer token for a member of system:masters.
 *
 * Its flags follow what kubeadm gives the control plane (Node,RBAC authorization,
 * NodeRestriction, privileged containers allowed, service-account issuer and keys),
 * so objects are judged by the same admission chain as on the real cluster. There is
 * no controller manager or scheduler: nothing is reconciled, objects are only
 * validated, defaulted and stored.
 */
import * as fs from "node:fs";
import * as os from "node:os";
import * as path from "node:path";
import * as http from "node:http";
import { KubeClient } from "./kube-client";
import { makeTestPki, randomToken, TestPki } from "./pki";
import { ServerProcess, freePort, startProcess, waitUntil } from "./processes";
import { tool } from "./tool-paths";

/** kubeadm's default issuer; the control plane keeps accepting it next to the published one. */
export const KUBEADM_DEFAULT_ISSUER = "https://kubernetes.default.svc.cluster.local";

export interface TestApiServerOptions {
  /**
   * A published service-account issuer, given as control-plane-init.sh gives it
   * (`--service-account-issuer` twice: this one signs, kubeadm's default is still
   * accepted; `--service-account-jwks-uri`; `--api-audiences` both issuers).
   * @default - kubeadm's default issuer only
   */
  readonly serviceAccountIssuer?: string;
  /**
   * Working directory (logs, token file, certificates); it is kept on stop.
   * @default - a temporary directory, removed on stop
   */
  readonly dir?: string;
  /**
   * The cluster PKI (a restore starts a second server with the first one's).
   * @default - a new one under the working directory
   */
  readonly pki?: TestPki;
  /**
   * etcd's data directory and member name, as kubeadm's static pod has them: an
   * existing directory keeps its data and membership (a restored snapshot).
   * @default - `etcd` under the working directory, member `test`
   */
  readonly etcd?: { readonly dataDir: string; readonly memberName: string };
  /**
   * Further kube-apiserver flags (e.g. `--encryption-provider-config`).
   * @default - none
   */
  readonly extraArgs?: readonly string[];
}

/** Service range of the test server; mirrors kubeadm's default. */
export const TEST_SERVICE_CIDR = "10.96.0.0/12";

export class TestApiServer {
  private constructor(
    readonly url: string,
    readonly client: KubeClient,
    /** PEM of the cluster CA (signs the serving certificate). */
    readonly caCertPem: string,
    /** Bearer token of a system:masters member. */
    readonly token: string,
    /** PEM of the service-account public key (what the issuer's JWKS must carry). */
    readonly serviceAccountPublicKeyPem: string,
    /** etcd's client URL (for etcdctl and the backup script). */
    readonly etcdUrl: string,
    /** Removed on stop; undefined when the caller owns the working directory. */
    private readonly tempDir: string | undefined,
    private readonly processes: ServerProcess[],
  ) {}

  /** Starts etcd and kube-apiserver and resolves once `/readyz` answers ok. */
  static async start(options: TestApiServerOptions = {}): Promise<TestApiServer> {
    const tempDir = options.dir === undefined ? fs.mkdtempSync(path.join(os.tmpdir(), "apiserver-")) : undefined;
    const dir = options.dir ?? (tempDir as string);
    fs.mkdirSync(dir, { recursive: true });
    const member = options.etcd?.memberName ?? "test";
    const processes: ServerProcess[] = [];
    try {
      const pki = options.pki ?? makeTestPki(path.join(dir, "pki"));
      const token = randomToken();
      const tokenFile = path.join(dir, "tokens.csv");
      fs.writeFileSync(tokenFile, `${token},test-admin,test-admin,"system:masters"\n`, { mode: 0o600 });

      const [etcdClient, etcdPeer, securePort] = [await freePort(), await freePort(), await freePort()];
      const etcdUrl = `http://127.0.0.1:${etcdClient}`;
      const etcd = startProcess(
        "etcd",
        tool("ETCD"),
        [
          `--name=${member}`,
          `--data-dir=${options.etcd?.dataDir ?? path.join(dir, "etcd")}`,
          `--listen-client-urls=${etcdUrl}`,
          `--advertise-client-urls=${etcdUrl}`,
          `--listen-peer-urls=http://127.0.0.1:${etcdPeer}`,
          `--initial-advertise-peer-urls=http://127.0.0.1:${etcdPeer}`,
          `--initial-cluster=${member}=http://127.0.0.1:${etcdPeer}`,
          // Test data is thrown away: skip fsync, which dominates etcd latency on shared disks.
          "--unsafe-no-fsync",
          "--log-level=warn",
        ],
        path.join(dir, "etcd.log"),
      );
      processes.push(etcd);
      // A restored data directory takes longer to open than an empty one.
      await waitUntil(etcd, "etcd /health", () => httpOk(`${etcdUrl}/health`), 60_000);

      const apiserver = startProcess(
        "kube-apiserver",
        tool("KUBE_APISERVER"),
        [
          `--etcd-servers=${etcdUrl}`,
          "--bind-address=127.0.0.1",
          "--advertise-address=127.0.0.1",
          `--secure-port=${securePort}`,
          `--cert-dir=${path.join(dir, "certs")}`,
          `--tls-cert-file=${pki.serverCert}`,
          `--tls-private-key-file=${pki.serverKey}`,
          `--client-ca-file=${pki.caCert}`,
          `--token-auth-file=${tokenFile}`,
          "--authorization-mode=Node,RBAC",
          "--enable-admission-plugins=NodeRestriction",
          "--allow-privileged=true",
          `--service-cluster-ip-range=${TEST_SERVICE_CIDR}`,
          ...issuerFlags(options.serviceAccountIssuer),
          `--service-account-key-file=${pki.serviceAccountPub}`,
          `--service-account-signing-key-file=${pki.serviceAccountKey}`,
          "--profiling=false",
          "--v=1",
          ...(options.extraArgs ?? []),
        ],
        path.join(dir, "kube-apiserver.log"),
      );
      processes.push(apiserver);
      const url = `https://127.0.0.1:${securePort}`;
      const client = new KubeClient(url, fs.readFileSync(pki.caCert, "utf8"), token);
      await waitUntil(
        apiserver,
        "/readyz ok",
        async () => (await client.request("GET", "/readyz")).status === 200,
        120_000,
      );
      const caCertPem = fs.readFileSync(pki.caCert, "utf8");
      return new TestApiServer(url, client, caCertPem, token, fs.readFileSync(pki.serviceAccountPub, "utf8"), etcdUrl, tempDir, processes);
    } catch (err) {
      for (const p of processes.reverse()) await p.stop();
      if (tempDir) fs.rmSync(tempDir, { recursive: true, force: true });
      throw err;
    }
  }

  /** An admin kubeconfig for this server (what kubeadm writes to /etc/kubernetes/admin.conf). */
  kubeconfig(): string {
    const ca = Buffer.from(this.caCertPem).toString("base64");
    return [
      "apiVersion: v1",
      "kind: Config",
      "clusters:",
      "  - name: test",
      `    cluster: { server: "${this.url}", certificate-authority-data: "${ca}" }`,
      "users:",
      "  - name: admin",
      `    user: { token: "${this.token}" }`,
      "contexts:",
      "  - name: admin@test",
      "    context: { cluster: test, user: admin }",
      "current-context: admin@test",
      "",
    ].join("\n");
  }

  /** Last lines of the API server log, for failure messages. */
  apiserverLog(lines = 40): string {
    return this.processes[this.processes.length - 1].logTail(lines);
  }

  async stop(): Promise<void> {
    for (const p of [...this.processes].reverse()) await p.stop();
    if (this.tempDir) fs.rmSync(this.tempDir, { recursive: true, force: true });
  }
}

function issuerFlags(issuer: string | undefined): string[] {
  if (!issuer) return [`--service-account-issuer=${KUBEADM_DEFAULT_ISSUER}`];
  return [
    `--service-account-issuer=${issuer}`,
    `--service-account-issuer=${KUBEADM_DEFAULT_ISSUER}`,
    `--service-account-jwks-uri=${issuer}/openid/v1/jwks`,
    `--api-audiences=${issuer},${KUBEADM_DEFAULT_ISSUER}`,
  ];
}

function httpOk(url: string): Promise<boolean> {
  return new Promise((resolve) => {
    const req = http.get(url, (res) => {
      res.resume();
      resolve(res.statusCode === 200);
    });
    req.on("error", () => resolve(false));
    req.setTimeout(2000, () => req.destroy());
  });
}
