/**
 * etcd and kube-apiserver as kubeadm's static pods run them, for tests that need the data
 * directory in a given place (a restore) or extra API server flags (encryption at rest):
 * the etcd and kube-apiserver binaries of the pinned releases on loopback ports, a static
 * bearer token of a system:masters member. See apiserver.ts for the shared test server.
 */
import * as fs from "node:fs";
import * as http from "node:http";
import * as path from "node:path";
import { KubeClient } from "./kube-client";
import { randomToken, TestPki } from "./pki";
import { ServerProcess, freePort, startProcess, waitUntil } from "./processes";
import { tool } from "./tool-paths";

/** etcd and kube-apiserver as kubeadm's static pods run them, on loopback ports. */
export class ControlPlaneProcesses {
  private constructor(
    readonly etcdUrl: string,
    readonly client: KubeClient,
    private readonly url: string,
    private readonly caCertPem: string,
    private readonly token: string,
    private readonly processes: ServerProcess[],
  ) {}

  /** Starts etcd on `dataDir` (an existing one keeps its data and membership) and an API server on it. */
  static async start(dir: string, dataDir: string, pki: TestPki, memberName: string, apiserverArgs: string[] = []): Promise<ControlPlaneProcesses> {
    fs.mkdirSync(dir, { recursive: true });
    const processes: ServerProcess[] = [];
    try {
      const [etcdClient, etcdPeer, securePort] = [await freePort(), await freePort(), await freePort()];
      const etcdUrl = `http://127.0.0.1:${etcdClient}`;
      const etcd = startProcess(
        "etcd",
        tool("ETCD"),
        [
          `--name=${memberName}`,
          `--data-dir=${dataDir}`,
          `--listen-client-urls=${etcdUrl}`,
          `--advertise-client-urls=${etcdUrl}`,
          `--listen-peer-urls=http://127.0.0.1:${etcdPeer}`,
          `--initial-advertise-peer-urls=http://127.0.0.1:${etcdPeer}`,
          `--initial-cluster=${memberName}=http://127.0.0.1:${etcdPeer}`,
          "--unsafe-no-fsync",
          "--log-level=warn",
        ],
        path.join(dir, "etcd.log"),
      );
      processes.push(etcd);
      await waitUntil(etcd, "etcd /health", () => httpOk(`${etcdUrl}/health`), 60_000);

      const token = randomToken();
      const tokenFile = path.join(dir, "tokens.csv");
      fs.writeFileSync(tokenFile, `${token},test-admin,test-admin,"system:masters"\n`, { mode: 0o600 });
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
          "--service-cluster-ip-range=10.96.0.0/12",
          "--service-account-issuer=https://kubernetes.default.svc.cluster.local",
          `--service-account-key-file=${pki.serviceAccountPub}`,
          `--service-account-signing-key-file=${pki.serviceAccountKey}`,
          "--v=1",
          ...apiserverArgs,
        ],
        path.join(dir, "kube-apiserver.log"),
      );
      processes.push(apiserver);
      const url = `https://127.0.0.1:${securePort}`;
      const caCertPem = fs.readFileSync(pki.caCert, "utf8");
      const client = new KubeClient(url, caCertPem, token);
      await waitUntil(apiserver, "/readyz ok", async () => (await client.request("GET", "/readyz")).status === 200, 120_000);
      return new ControlPlaneProcesses(etcdUrl, client, url, caCertPem, token, processes);
    } catch (err) {
      for (const p of processes.reverse()) await p.stop();
      throw err;
    }
  }

  /** What kubeadm writes to /etc/kubernetes/admin.conf, for this server. */
  kubeconfig(): string {
    const ca = Buffer.from(this.caCertPem).toString("base64");
    return [
      "apiVersion: v1",
      "kind: Config",
      "clusters:",
      `  - name: test\n    cluster: { server: "${this.url}", certificate-authority-data: "${ca}" }`,
      "users:",
      `  - name: admin\n    user: { token: "${this.token}" }`,
      "contexts:",
      "  - name: admin@test\n    context: { cluster: test, user: admin }",
      "current-context: admin@test",
      "",
    ].join("\n");
  }

  async stop(): Promise<void> {
    for (const p of [...this.processes].reverse()) await p.stop();
  }
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
