/**
 * The real Pulumi engine against the test API server: the Pulumi CLI and the Kubernetes
 * provider built by build-tools.sh, driven through the Automation API with an inline
 * program (the Node language host is not served by the module proxy, so the program
 * runs in this process and the CLI calls back into it), a local file backend and a
 * passphrase secrets provider. Nothing reaches a network beyond loopback: the engine
 * never downloads a plugin (automatic acquisition is off) and finds the providers on
 * PATH, where the engine looks before its plugin cache.
 *
 * kube-controller-manager runs beside the API server so that what `destroy` deletes
 * really goes: namespaces are finalized (their content deleted) and dependents are
 * garbage-collected.
 */
import { execFileSync } from "node:child_process";
import * as fs from "node:fs";
import * as https from "node:https";
import * as os from "node:os";
import * as path from "node:path";
import * as k8s from "@pulumi/kubernetes";
import * as pulumi from "@pulumi/pulumi";
import { EngineEvent, LocalWorkspace, OpMap, PulumiCommand, PulumiFn, Stack } from "@pulumi/pulumi/automation";
import { TestApiServer } from "./apiserver";
import { ServerProcess, freePort, startProcess, waitUntil } from "./processes";
import { tool } from "./tool-paths";

/** Where the `pulumi-resource-pulumi-nodejs` launcher for dynamic resources lives. */
export const LAUNCHER_DIR = path.join(__dirname, "bin");

const PROJECT = "engine-test";

/** An API server with a controller manager, and the kubeconfig both use. */
export class TestCluster {
  private constructor(
    readonly api: TestApiServer,
    private readonly controllerManager: ServerProcess,
    private readonly dir: string,
  ) {}

  static async start(): Promise<TestCluster> {
    const api = await TestApiServer.start();
    const dir = fs.mkdtempSync(path.join(os.tmpdir(), "controller-manager-"));
    try {
      const kubeconfig = path.join(dir, "kubeconfig");
      fs.writeFileSync(kubeconfig, api.kubeconfig(), { mode: 0o600 });
      const port = await freePort();
      const kcm = startProcess(
        "kube-controller-manager",
        tool("KUBE_CONTROLLER_MANAGER"),
        [
          `--kubeconfig=${kubeconfig}`,
          `--authentication-kubeconfig=${kubeconfig}`,
          `--authorization-kubeconfig=${kubeconfig}`,
          "--bind-address=127.0.0.1",
          `--secure-port=${port}`,
          `--cert-dir=${path.join(dir, "certs")}`,
          // One instance, no lease to wait for.
          "--leader-elect=false",
          "--v=1",
        ],
        path.join(dir, "kube-controller-manager.log"),
      );
      try {
        await waitUntil(kcm, "/healthz ok", () => httpsOk(`https://127.0.0.1:${port}/healthz`), 120_000);
      } catch (err) {
        await kcm.stop();
        throw err;
      }
      return new TestCluster(api, kcm, dir);
    } catch (err) {
      await api.stop();
      fs.rmSync(dir, { recursive: true, force: true });
      throw err;
    }
  }

  controllerManagerLog(lines = 40): string {
    return this.controllerManager.logTail(lines);
  }

  async stop(): Promise<void> {
    await this.controllerManager.stop();
    await this.api.stop();
    fs.rmSync(this.dir, { recursive: true, force: true });
  }
}

function httpsOk(url: string): Promise<boolean> {
  return new Promise((resolve) => {
    // The controller manager serves /healthz with a self-signed certificate of its own.
    const req = https.get(url, { rejectUnauthorized: false }, (res) => {
      res.resume();
      resolve(res.statusCode === 200);
    });
    req.on("error", () => resolve(false));
    req.setTimeout(2000, () => req.destroy());
  });
}

/** Versions of what the engine runs, next to the npm SDKs the program imports. */
export interface EngineVersions {
  cli: string;
  npmPulumi: string;
  /** Go module version of the provider binary (`go version -m`), e.g. a pseudo-version. */
  provider: string;
  npmKubernetes: string;
}

/** A planned or applied step that changes something: operation, resource type and name. */
export interface Step {
  op: string;
  type: string;
  name: string;
}

/**
 * Collects the steps of an operation from its engine events (pass as `onEvent`), without
 * `same` and `read` steps and without the create/delete halves of a replacement, which
 * the `replace` step stands for.
 */
export function stepRecorder(): { steps: Step[]; onEvent: (e: EngineEvent) => void } {
  const steps: Step[] = [];
  const ignored = new Set(["same", "read", "create-replacement", "delete-replaced", "discard-replaced"]);
  return {
    steps,
    onEvent: (e) => {
      const m = e.resourcePreEvent?.metadata;
      if (!m || ignored.has(m.op)) return;
      steps.push({ op: m.op, type: m.type, name: m.urn.split("::").pop() ?? m.urn });
    },
  };
}

/** Counts of an operation, without the `same` entries (which say nothing changed). */
export function changes(ops: OpMap | undefined): Record<string, number> {
  return Object.fromEntries(Object.entries(ops ?? {}).filter(([op, n]) => op !== "same" && (n ?? 0) > 0)) as Record<
    string,
    number
  >;
}

/**
 * A scratch Pulumi installation: a state directory (file backend), a PULUMI_HOME, and a
 * bin directory with the built CLI and provider, used for every stack it makes.
 */
export class PulumiEngine {
  private constructor(
    readonly dir: string,
    readonly command: PulumiCommand,
    private readonly envVars: Record<string, string>,
  ) {}

  static async create(): Promise<PulumiEngine> {
    const dir = fs.mkdtempSync(path.join(os.tmpdir(), "pulumi-engine-"));
    const bin = path.join(dir, "bin");
    for (const d of [bin, path.join(dir, "state"), path.join(dir, "home"), path.join(dir, "work")]) {
      fs.mkdirSync(d, { recursive: true });
    }
    // PulumiCommand.get wants <root>/bin/pulumi; the provider next to it is found on PATH.
    fs.symlinkSync(tool("PULUMI"), path.join(bin, "pulumi"));
    fs.symlinkSync(tool("PULUMI_RESOURCE_KUBERNETES"), path.join(bin, "pulumi-resource-kubernetes"));
    const envVars: Record<string, string> = {
      PATH: [bin, LAUNCHER_DIR, process.env.PATH ?? ""].join(path.delimiter),
      PULUMI_HOME: path.join(dir, "home"),
      PULUMI_CONFIG_PASSPHRASE: "engine-test",
      // Offline: a missing plugin must fail the test, not start a download.
      PULUMI_DISABLE_AUTOMATIC_PLUGIN_ACQUISITION: "true",
      PULUMI_SKIP_UPDATE_CHECK: "true",
      PULUMI_SKIP_CONFIRMATIONS: "true",
    };
    // The version check stays on: the CLI must report the SDK's version.
    const command = await PulumiCommand.get({ root: dir });
    return new PulumiEngine(dir, command, envVars);
  }

  /** A stack of the test project running `program` in this process. */
  async stack(name: string, program: PulumiFn): Promise<Stack> {
    return LocalWorkspace.createOrSelectStack(
      { stackName: name, projectName: PROJECT, program },
      {
        workDir: path.join(this.dir, "work"),
        pulumiHome: this.envVars.PULUMI_HOME,
        pulumiCommand: this.command,
        envVars: this.envVars,
        projectSettings: {
          name: PROJECT,
          runtime: "nodejs",
          backend: { url: `file://${path.join(this.dir, "state")}` },
        },
      },
    );
  }

  versions(): EngineVersions {
    const npmVersion = (pkg: string): string =>
      (JSON.parse(fs.readFileSync(require.resolve(`${pkg}/package.json`), "utf8")) as { version: string }).version;
    return {
      cli: this.command.version?.toString() ?? "(unknown)",
      npmPulumi: npmVersion("@pulumi/pulumi"),
      provider: goModuleVersion(tool("PULUMI_RESOURCE_KUBERNETES"), "github.com/pulumi/pulumi-kubernetes/provider/v4"),
      npmKubernetes: npmVersion("@pulumi/kubernetes"),
    };
  }

  async remove(): Promise<void> {
    fs.rmSync(this.dir, { recursive: true, force: true });
  }
}

/** The version of `module` linked into a Go binary, from its embedded build information. */
function goModuleVersion(binary: string, module: string): string {
  const info = execFileSync("go", ["version", "-m", binary], { encoding: "utf8" });
  const line = info.split("\n").find((l) => l.trim().split(/\s+/)[1] === module);
  if (!line) throw new Error(`${binary} does not link ${module}:\n${info.slice(0, 2000)}`);
  return line.trim().split(/\s+/)[2];
}

/**
 * Objects a Kubernetes provider would wait on forever here: no scheduler or kubelet runs,
 * so no pod gets ready, no Service gets endpoints, no claim binds. Namespaces keep their
 * await, so destroy waits until the controller manager has finalized them.
 */
export function skipAwaitOutsideNamespaces(): void {
  pulumi.runtime.registerResourceTransform((args) => {
    if (!args.type.startsWith("kubernetes:") || args.type === "kubernetes:core/v1:Namespace") return undefined;
    if (args.type.startsWith("kubernetes:yaml") || args.type.startsWith("kubernetes:helm")) return undefined;
    const props = args.props as { metadata?: { annotations?: Record<string, unknown> } };
    return {
      props: {
        ...args.props,
        metadata: {
          ...props.metadata,
          annotations: { ...props.metadata?.annotations, "pulumi.com/skipAwait": "true" },
        },
      },
      opts: withoutUnsetDeleteBeforeReplace(args.opts),
    };
  });
}

/**
 * The options a transform hands back, minus a `deleteBeforeReplace: false` the SDK
 * itself put there. @pulumi/pulumi 3.248.0 reads the option of a custom resource with
 * the protobuf getter, so an unset option reaches the transform as `false`, and handing
 * `args.opts` back sets it explicitly. An explicit false overrides the provider, which
 * asks to delete first when the replacement keeps the object's name; the replacement is
 * then created first and fails with a server-side apply conflict against the object it
 * replaces (seen here replacing a ConfigMap whose data changed).
 */
export function withoutUnsetDeleteBeforeReplace<T extends pulumi.ResourceOptions>(opts: T): T {
  const o = opts as T & { deleteBeforeReplace?: boolean };
  if (o.deleteBeforeReplace !== false) return opts;
  const { deleteBeforeReplace: _unset, ...rest } = o;
  return rest as T;
}

export const DEMO_NAMESPACE = "engine-test";
/** Label on every object of the demo program, so leftovers can be listed. */
export const DEMO_LABEL = "engine-test/part-of";
const NS = DEMO_NAMESPACE;
const LABEL = DEMO_LABEL;

/** What a user changes between two `up`s of the demo program. */
export interface DemoValues {
  /** Data of a ConfigMap: the provider replaces a ConfigMap whose data changes. */
  greeting: string;
  /** Replicas of the ConfigGroup's Deployment: updated in place. */
  replicas: number;
}

/** A chart-like set of objects for a ConfigGroup, as cdk8s would synthesize it. */
function appManifests(replicas: number): string {
  const labels = { [LABEL]: "app", app: "web" };
  const objects = [
    { apiVersion: "v1", kind: "ServiceAccount", metadata: { name: "web", namespace: NS, labels } },
    { apiVersion: "v1", kind: "ConfigMap", metadata: { name: "web-config", namespace: NS, labels }, data: { mode: "test" } },
    {
      apiVersion: "apps/v1",
      kind: "Deployment",
      metadata: { name: "web", namespace: NS, labels },
      spec: {
        replicas,
        selector: { matchLabels: { app: "web" } },
        template: {
          metadata: { labels },
          spec: {
            serviceAccountName: "web",
            containers: [{ name: "web", image: "registry.k8s.io/pause:3.10", resources: { requests: { cpu: "10m" } } }],
          },
        },
      },
    },
    {
      apiVersion: "rbac.authorization.k8s.io/v1",
      kind: "ClusterRole",
      metadata: { name: "engine-test-reader", labels },
      rules: [{ apiGroups: [""], resources: ["configmaps"], verbs: ["get"] }],
    },
  ];
  return objects.map((o) => JSON.stringify(o)).join("\n---\n");
}

/**
 * Stands in for the program's teardown step: a dynamic resource, so the engine must
 * start `pulumi-resource-pulumi-nodejs`. Its delete leaves a file behind as evidence.
 */
const markerProvider: pulumi.dynamic.ResourceProvider = {
  async create(inputs: { file: string }) {
    return { id: "marker", outs: inputs };
  },
  async delete(_id: string, props: { file: string }) {
    // eslint-disable-next-line @typescript-eslint/no-require-imports
    require("fs").writeFileSync(props.file, "deleted\n");
  },
};

class Marker extends pulumi.dynamic.Resource {
  constructor(name: string, file: string) {
    super(markerProvider, name, { file }, {});
  }
}

/** Stack, provider, Namespace, ConfigMap, ConfigGroup and its 4 objects, the dynamic resource. */
export const DEMO_RESOURCES = 1 + 1 + 1 + 1 + 1 + 4 + 1;

/**
 * A small program with what the platform's cluster side is made of: an explicit
 * provider, a Namespace, a ConfigMap whose value the caller changes, a ConfigGroup of
 * chart objects, and a dynamic resource. Inputs are read when the program runs.
 */
export function demoProgram(inputs: { kubeconfig: () => string; values: () => DemoValues; markerFile: () => string }): PulumiFn {
  return async () => {
    const values = inputs.values();
    skipAwaitOutsideNamespaces();
    const provider = new k8s.Provider("cluster", { kubeconfig: pulumi.secret(inputs.kubeconfig()) });
    const ns = new k8s.core.v1.Namespace(NS, { metadata: { name: NS, labels: { [LABEL]: "ns" } } }, { provider });
    new k8s.core.v1.ConfigMap(
      "settings",
      { metadata: { name: "settings", namespace: NS, labels: { [LABEL]: "settings" } }, data: { greeting: values.greeting } },
      { provider, dependsOn: [ns] },
    );
    new k8s.yaml.v2.ConfigGroup("app", { yaml: appManifests(values.replicas) }, { provider, dependsOn: [ns] });
    new Marker("marker", inputs.markerFile());
  };
}
