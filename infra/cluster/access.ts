/**
 * Access to the cluster for everything Pulumi installs in it: a Kubernetes provider
 * built from the admin kubeconfig the program owns (infra/aws/pki.ts), handed out only
 * after the API server answers `GET /readyz`.
 *
 * The wait is an `apply` on the endpoint, not a resource: it runs on every
 * `pulumi up` (one request when the cluster is up), never during `pulumi preview`
 * (nothing in the program may need the cluster to exist then) and never during
 * `pulumi destroy` (which does not run the program). `/readyz` is readable without
 * credentials (kubeadm keeps system:public-info-viewer), so the probe sends none; it
 * verifies the server certificate against the cluster CA.
 */
import * as https from "node:https";
import * as k8s from "@pulumi/kubernetes";
import * as pulumi from "@pulumi/pulumi";

/** One `GET <server>/readyz`; resolves with the status code and body, rejects on network/TLS errors. */
export type ReadyzProbe = (server: string, caCertPem: string) => Promise<{ status: number; body: string }>;

export const httpsReadyzProbe: ReadyzProbe = (server, caCertPem) =>
  new Promise((resolve, reject) => {
    const req = https.get(`${server}/readyz`, { ca: caCertPem, timeout: 10_000 }, (res) => {
      let body = "";
      res.setEncoding("utf8");
      res.on("data", (chunk: string) => (body += chunk.slice(0, 4096)));
      res.on("end", () => resolve({ status: res.statusCode ?? 0, body }));
    });
    req.on("timeout", () => req.destroy(new Error("no answer within 10 s")));
    req.on("error", reject);
  });

export interface WaitForReadyzOptions {
  /** `https://host:6443` */
  readonly server: string;
  readonly caCertPem: string;
  readonly timeoutMs: number;
  /** @default 10_000 */
  readonly intervalMs?: number;
  /** Command that opens a shell on the control plane, quoted in the error. */
  readonly sessionCommand: string;
  /** @default httpsReadyzProbe */
  readonly probe?: ReadyzProbe;
  /** @default Date.now */
  readonly now?: () => number;
  /** @default setTimeout-based */
  readonly sleep?: (ms: number) => Promise<void>;
  /** Progress lines (Pulumi's log in the program). @default ignore */
  readonly log?: (message: string) => void;
}

/** Thrown when the API server did not become ready in time; the message says where to look. */
export class ClusterNotReadyError extends Error {
  constructor(
    readonly server: string,
    readonly waitedMs: number,
    readonly lastResult: string,
    sessionCommand: string,
  ) {
    super(
      `The Kubernetes API server at ${server} did not answer /readyz with 200 within ${Math.round(waitedMs / 60000)} min ` +
        `(last result: ${lastResult}). Nothing was installed in the cluster. Inspect the control plane:\n` +
        `  open a shell:            ${sessionCommand}\n` +
        `  node bootstrap log:      sudo less /var/log/cloud-init-output.log ; sudo journalctl -u platform-bootstrap\n` +
        `  kubelet:                 sudo journalctl -u kubelet --no-pager | tail -n 100\n` +
        `  control-plane containers: sudo crictl ps -a   (then sudo crictl logs <id> for kube-apiserver, etcd)\n` +
        `If the API server runs but this machine cannot reach it, check that your address is in apiAllowedCidrs. ` +
        `Run \`pulumi up\` again once it answers.`,
    );
    this.name = "ClusterNotReadyError";
  }
}

/** Polls `/readyz` until it returns 200 or the timeout passes. Pure apart from the injected probe/clock. */
export async function waitForReadyz(o: WaitForReadyzOptions): Promise<void> {
  const probe = o.probe ?? httpsReadyzProbe;
  const now = o.now ?? Date.now;
  const sleep = o.sleep ?? ((ms: number) => new Promise<void>((r) => setTimeout(r, ms)));
  const interval = o.intervalMs ?? 10_000;
  const start = now();
  let last = "no attempt";
  for (let attempt = 1; ; attempt++) {
    try {
      const r = await probe(o.server, o.caCertPem);
      if (r.status === 200) return;
      last = `HTTP ${r.status}${r.body ? `: ${r.body.trim().split("\n").slice(-3).join(" | ")}` : ""}`;
    } catch (e) {
      last = (e as Error).message;
    }
    const waited = now() - start;
    if (waited >= o.timeoutMs) throw new ClusterNotReadyError(o.server, waited, last, o.sessionCommand);
    if (attempt === 1 || attempt % 6 === 0) o.log?.(`waiting for ${o.server}/readyz (${Math.round(waited / 1000)} s so far; last: ${last})`);
    await sleep(Math.min(interval, Math.max(0, o.timeoutMs - waited)));
  }
}

/** True when the program runs under `pulumi.runtime.setMocks` (unit tests), not against an engine. */
function underPulumiMocks(): boolean {
  const settings = require("@pulumi/pulumi/runtime/settings") as { getMonitor(): unknown }; // eslint-disable-line @typescript-eslint/no-require-imports
  const monitor = settings.getMonitor() as { constructor?: { name?: string } } | undefined;
  return monitor?.constructor?.name === "MockMonitor";
}

export interface ClusterAccessArgs {
  /** Admin kubeconfig (secret). */
  readonly kubeconfig: pulumi.Input<string>;
  /** `https://<Elastic IP>:6443` */
  readonly apiServerUrl: pulumi.Input<string>;
  readonly caCertPem: pulumi.Input<string>;
  /** Command that opens a Session Manager shell on the control plane. */
  readonly sessionCommand: pulumi.Input<string>;
  /** How long `pulumi up` waits for the API server. */
  readonly readyTimeoutMinutes: number;
  /** @default httpsReadyzProbe (tests inject a fake) */
  readonly probe?: ReadyzProbe;
}

export class ClusterAccess extends pulumi.ComponentResource {
  /** Use for every Kubernetes resource; configured only once `/readyz` answered. */
  readonly provider: k8s.Provider;
  /** `"ready"` after a successful wait; `"preview"` during `pulumi preview`; `"mocked"` in unit tests without a probe. */
  readonly readiness: pulumi.Output<string>;

  constructor(name: string, args: ClusterAccessArgs, opts?: pulumi.ComponentResourceOptions) {
    super("platform:infra:ClusterAccess", name, {}, opts);
    this.readiness = pulumi
      .all([args.apiServerUrl, args.caCertPem, args.sessionCommand])
      .apply(async ([server, caCertPem, sessionCommand]) => {
        if (pulumi.runtime.isDryRun()) return "preview";
        // Unit tests of the program run under Pulumi's mocks: there is no cluster to wait for.
        if (args.probe === undefined && underPulumiMocks()) return "mocked";
        await waitForReadyz({
          server,
          caCertPem,
          sessionCommand,
          timeoutMs: args.readyTimeoutMinutes * 60_000,
          probe: args.probe,
          log: (m) => pulumi.log.info(m, this),
        });
        return "ready";
      });
    const kubeconfig = pulumi.secret(pulumi.all([args.kubeconfig, this.readiness]).apply(([k]) => k));
    this.provider = new k8s.Provider(
      name,
      {
        kubeconfig,
        // If the cluster is already gone, `pulumi destroy` drops its objects from the state
        // instead of failing; the teardown step still removes what AWS holds.
        deleteUnreachable: true,
      },
      { parent: this },
    );
    this.registerOutputs({ readiness: this.readiness });
  }
}
