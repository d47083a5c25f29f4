/**
 * Access to the cluster for everything Pulumi installs in it: a Kubernetes provider
 * built from the admin kubeconfig the program owns (infra/aws/pki.ts), handed out only
 * after the API server answers `GET /readyz`.
 *
 * The wait is a resource of its own (a dynamic resource, like the teardown step): it
 * runs when the cluster is created and whenever the control-plane instance, the
 * endpoint or the CA change, never during `pulumi preview` (nothing in the program may
 * need the cluster to exist then) and never under Pulumi's mocks, which stand in for
 * every resource. `/readyz` is readable without credentials (kubeadm keeps
 * system:public-info-viewer), so the probe sends none; it verifies the server
 * certificate against the cluster CA.
 */
import * as crypto from "node:crypto";
import * as k8s from "@pulumi/kubernetes";
import * as pulumi from "@pulumi/pulumi";

/** One `GET <server>/readyz`; resolves with the status code and body, rejects on network/TLS errors. */
export type ReadyzProbe = (server: string, caCertPem: string) => Promise<{ status: number; body: string }>;

export const httpsReadyzProbe: ReadyzProbe = (server, caCertPem) =>
  new Promise((resolve, reject) => {
    // Loaded where it runs: Pulumi serializes this code for the readiness step, and a
    // module object captured from an import does not survive that.
    const https = require("node:https") as typeof import("node:https"); // eslint-disable-line @typescript-eslint/no-require-imports
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
    const message =
      `The Kubernetes API server at ${server} did not answer /readyz with 200 within ${Math.round(waitedMs / 60000)} min ` +
        `(last result: ${lastResult}). Nothing was installed in the cluster. Inspect the control plane:\n` +
        `  open a shell:            ${sessionCommand}\n` +
        `  node bootstrap log:      sudo less /var/log/cloud-init-output.log ; sudo journalctl -u platform-bootstrap\n` +
        `  kubelet:                 sudo journalctl -u kubelet --no-pager | tail -n 100\n` +
        `  control-plane containers: sudo crictl ps -a   (then sudo crictl logs <id> for kube-apiserver, etcd)\n` +
        `If the API server runs but this machine cannot reach it, check that your address is in apiAllowedCidrs. ` +
        `Run \`pulumi up\` again once it answers.`;
    super(message);
    // Set again: in the copy Pulumi serializes for the readiness step, Error's constructor does not set it.
    this.message = message;
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

/** Inputs of the readiness step, all public: the kubeconfig never enters it (nor the state through it). */
export interface ApiServerReadyInputs {
  readonly server: string;
  readonly caCertPem: string;
  readonly sessionCommand: string;
  readonly timeoutMinutes: number;
  /** The control-plane instance: a replaced instance is waited for again. */
  readonly controlPlaneInstanceId: string;
}

/**
 * The readiness step's dynamic provider: waits on create and whenever an input
 * changes (a new control-plane instance, a new CA), so every Kubernetes resource
 * that needs the API server is declared after it. Pulumi serializes this code into
 * the state and runs it in the engine's provider process, during `pulumi up` only.
 */
export const apiServerReadyProvider: pulumi.dynamic.ResourceProvider = {
  async create(inputs: ApiServerReadyInputs) {
    await waitForApiServer(inputs);
    return { id: `${inputs.server}/readyz`, outs: inputs };
  },
  async diff(_id: string, olds: ApiServerReadyInputs, news: ApiServerReadyInputs) {
    // `server` is only how this run reaches the API server (its address, or a local
    // tunnel from CI): a different route to the same control plane is nothing to wait for.
    const changes = (Object.keys(news) as (keyof ApiServerReadyInputs)[]).some((k) => k !== "server" && olds[k] !== news[k]);
    return { changes, replaces: [], deleteBeforeReplace: false };
  },
  async update(_id: string, _olds: ApiServerReadyInputs, news: ApiServerReadyInputs) {
    await waitForApiServer(news);
    return { outs: news };
  },
};

function waitForApiServer(inputs: ApiServerReadyInputs): Promise<void> {
  return waitForReadyz({
    server: inputs.server,
    caCertPem: inputs.caCertPem,
    sessionCommand: inputs.sessionCommand,
    timeoutMs: inputs.timeoutMinutes * 60_000,
    log: (m) => console.log(m),
  });
}

class ApiServerReady extends pulumi.dynamic.Resource {
  constructor(name: string, props: pulumi.Inputs, opts?: pulumi.CustomResourceOptions) {
    super(apiServerReadyProvider, name, props, opts, "platform", "ApiServerReady");
  }
}

export interface ClusterAccessArgs {
  /** Admin kubeconfig (secret). */
  readonly kubeconfig: pulumi.Input<string>;
  /** `https://<Elastic IP>:6443` */
  readonly apiServerUrl: pulumi.Input<string>;
  readonly caCertPem: pulumi.Input<string>;
  /** Command that opens a Session Manager shell on the control plane. */
  readonly sessionCommand: pulumi.Input<string>;
  /** The control-plane instance; when it is replaced, `pulumi up` waits for the new one. */
  readonly controlPlaneInstanceId: pulumi.Input<string>;
  /** How long `pulumi up` waits for the API server. */
  readonly readyTimeoutMinutes: number;
  /** Resources the wait comes after (the control plane and what it needs). @default none */
  readonly dependsOn?: pulumi.Input<pulumi.Resource>[];
  /**
   * Reach the API server at `https://127.0.0.1:<port>` instead of `apiServerUrl`: a
   * port-forwarding session to the control plane listens there (CI opens one with
   * .github/scripts/api-tunnel.sh, so `apiAllowedCidrs` stays closed to runners). The
   * API server certificate names 127.0.0.1 (infra/nodes/control-plane.ts). The
   * kubeconfig stack output keeps `apiServerUrl`.
   * @default undefined (apiServerUrl)
   */
  readonly localPort?: number;
  /**
   * Let `pulumi destroy` drop the cluster's objects from the state when the API server
   * cannot be reached. Only for destroying a cluster whose control plane is already gone:
   * on a live cluster that is merely unreachable from here (a `pulumi refresh` from an
   * address outside `apiAllowedCidrs`), it forgets objects that still exist.
   * @default false
   */
  readonly deleteUnreachable?: boolean;
}

/** The admin kubeconfig with its server replaced by the local end of a tunnel (every occurrence of `apiServerUrl`). Pure. */
export function kubeconfigThroughLocalPort(kubeconfig: string, apiServerUrl: string, localPort: number): string {
  if (!Number.isInteger(localPort) || localPort < 1 || localPort > 65535) throw new Error(`not a TCP port: ${localPort}`);
  if (!kubeconfig.includes(apiServerUrl)) throw new Error(`the kubeconfig does not name the API server ${apiServerUrl}`);
  return kubeconfig.split(apiServerUrl).join(localApiServerUrl(localPort));
}

/** `https://127.0.0.1:<port>` */
export function localApiServerUrl(localPort: number): string {
  return `https://127.0.0.1:${localPort}`;
}

/**
 * The provider's `clusterIdentifier`: a digest of the cluster CA, which only a new
 * cluster changes. With it, a provider whose kubeconfig reaches the same cluster by
 * another route (the tunnel's 127.0.0.1 instead of the Elastic IP) is updated, not
 * replaced; without it the Kubernetes provider treats a changed server as a new cluster
 * and would replace every object in it.
 */
export function clusterIdentifier(caCertPem: string): string {
  return `ca-sha256-${crypto.createHash("sha256").update(caCertPem.trim()).digest("hex").slice(0, 32)}`;
}

export class ClusterAccess extends pulumi.ComponentResource {
  /** Use for every Kubernetes resource; configured only once `/readyz` answered. */
  readonly provider: k8s.Provider;
  /** The readiness step: done once the API server answered `/readyz` with 200. */
  readonly ready: pulumi.CustomResource;

  constructor(name: string, args: ClusterAccessArgs, opts?: pulumi.ComponentResourceOptions) {
    super("platform:infra:ClusterAccess", name, {}, opts);
    const local = args.localPort;
    const server = local === undefined ? args.apiServerUrl : localApiServerUrl(local);
    const ready = new ApiServerReady(
      `${name}-readyz`,
      {
        server,
        caCertPem: args.caCertPem,
        sessionCommand: args.sessionCommand,
        timeoutMinutes: args.readyTimeoutMinutes,
        controlPlaneInstanceId: args.controlPlaneInstanceId,
      },
      // The wait may take the whole timeout; Pulumi must not give up earlier.
      { parent: this, dependsOn: args.dependsOn, customTimeouts: { create: `${args.readyTimeoutMinutes + 5}m`, update: `${args.readyTimeoutMinutes + 5}m` } },
    );
    this.ready = ready;
    // The provider's configuration depends on the step, so nothing reaches the cluster before it.
    const kubeconfig = pulumi.secret(
      pulumi.all([args.kubeconfig, args.apiServerUrl, ready.id]).apply(([k, url]) => (local === undefined ? k : kubeconfigThroughLocalPort(k, url, local))),
    );
    this.provider = new k8s.Provider(
      name,
      {
        kubeconfig,
        clusterIdentifier: pulumi.output(args.caCertPem).apply(clusterIdentifier),
        // Off unless the stack asks for it (workloads.deleteUnreachable): see the argument's doc.
        deleteUnreachable: args.deleteUnreachable ?? false,
      },
      { parent: this },
    );
    this.registerOutputs({});
  }
}
