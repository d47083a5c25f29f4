/**
 * A kubeadm control-plane node without a machine, for running the real kubeadm against
 * the test API server ({@link TestApiServer}).
 *
 * kubeadm reads and writes fixed paths (/etc/kubernetes/{admin,kubelet,super-admin}.conf,
 * /etc/kubernetes/manifests, /etc/kubernetes/pki, /var/lib/kubelet) and has no flag for
 * most of them. {@link inNodeNamespace} runs a command through node-namespace.sh: a private
 * mount namespace where those two directories are the test's `<root>/etc/kubernetes` and
 * `<root>/var/lib/kubelet`, and the rest of /etc and /var/lib are throw-away overlays (needs
 * root, as CI has).
 *
 * {@link seedControlPlane} leaves that node and the test API server as `kubeadm init
 * --config <the project's rendered configuration>` leaves a control plane, by running
 * kubeadm's own init phases (the real kubeadm of the pinned release) in the namespace:
 * `certs all` (around the test server's CA and service-account key), `kubeconfig all`,
 * `etcd local`, `control-plane all`, `kubelet-start`, `upload-config kubeadm`,
 * `upload-config kubelet`, `mark-control-plane`, `bootstrap-token` and `addon all`, the
 * last six against the test API server. What stands in for what cannot run here:
 *   - the kubeconfigs kubeadm writes name the node's endpoint (controlPlaneEndpoint, an
 *     address of the VPC); their `server:` is pointed at the test server, nothing else
 *     in them changes (their client certificates are kubeadm's, signed by the test CA);
 *   - `kubelet-start` restarts the kubelet with systemctl: the caller's PATH gives a
 *     recording stand-in;
 *   - the kubelet's part (no kubelet or container runtime here): the test registers the
 *     Node, Ready, reporting `kubeletVersion`, and creates the mirror pods of the four
 *     static pods from the manifests kubeadm wrote, as the kubelet would. The test API
 *     server itself is not those static pods: it is the kube-apiserver binary of the
 *     pinned release, whatever version the manifests name.
 */
import { spawn } from "node:child_process";
import * as fs from "node:fs";
import * as path from "node:path";
import { parse as parseYaml } from "yaml";
import { TestApiServer } from "./apiserver";
import { serverMessage } from "./kube-client";
import { TestPki } from "./pki";
import { tool } from "./tool-paths";

/** The namespace runner (test/tools/node-namespace.sh). */
export const NODE_NAMESPACE = path.join(__dirname, "node-namespace.sh");

/** Where kubeadm's files of the node live in the namespace (and under its root). */
export const KUBERNETES_DIR = "/etc/kubernetes";

export interface CommandResult {
  code: number | null;
  /** stdout and stderr interleaved. */
  output: string;
}

/** A node's directories for {@link inNodeNamespace}. */
export interface NodeDirs {
  /** The node's root: `<root>/etc/kubernetes` and `<root>/var/lib/kubelet` become the real paths. */
  readonly root: string;
  /** An empty directory for the namespace's tmpfs (overlay layers). */
  readonly scratch: string;
}

/** Runs `command args` in the node's private mount namespace; kills it after `timeoutMs`. */
export function inNodeNamespace(
  node: NodeDirs,
  command: string,
  args: readonly string[],
  env: NodeJS.ProcessEnv,
  timeoutMs = 120_000,
): Promise<CommandResult> {
  return new Promise((resolve) => {
    const child = spawn(NODE_NAMESPACE, [node.root, node.scratch, "--", command, ...args], {
      env,
      stdio: ["ignore", "pipe", "pipe"],
    });
    let output = "";
    child.stdout.on("data", (d: Buffer) => (output += d.toString("utf8")));
    child.stderr.on("data", (d: Buffer) => (output += d.toString("utf8")));
    const timer = setTimeout(() => {
      output += `\n[kubeadm-node] killed ${command} after ${timeoutMs / 1000}s\n`;
      child.kill("SIGKILL");
    }, timeoutMs);
    child.on("close", (code) => {
      clearTimeout(timer);
      resolve({ code, output });
    });
  });
}

export interface SeedOptions {
  readonly node: NodeDirs;
  readonly server: TestApiServer;
  /** The PKI the test server was started with (its CA and service-account key become the cluster's). */
  readonly pki: TestPki;
  /** The kubeadm configuration `kubeadm init` would get, as a path inside the namespace. */
  readonly config: string;
  readonly nodeName: string;
  /** The address kubeadm's kubeconfigs name (`https://<controlPlaneEndpoint>`). */
  readonly endpoint: string;
  /** What the Node reports as its kubelet, e.g. `v1.35.3`. */
  readonly kubeletVersion: string;
  /** Environment of the kubeadm runs (PATH with a systemctl stand-in). */
  readonly env: NodeJS.ProcessEnv;
}

/** kubeadm init's phases, in init's order, split where the kubelet would take over. */
const PHASES_BEFORE_KUBELET = [["certs", "all"], ["kubeconfig", "all"], ["etcd", "local"], ["control-plane", "all"], ["kubelet-start"]];
const PHASES_AFTER_KUBELET = [["upload-config", "kubeadm"], ["upload-config", "kubelet"], ["mark-control-plane"], ["bootstrap-token"], ["addon", "all"]];

/**
 * Runs kubeadm's init phases for `config` on the node and the test server (see the file
 * comment). Returns kubeadm's output; throws with it when a phase fails.
 */
export async function seedControlPlane(o: SeedOptions): Promise<string> {
  const kubeDir = path.join(o.node.root, "etc", "kubernetes");
  fs.mkdirSync(path.join(kubeDir, "pki"), { recursive: true });
  // What the platform's PKI secret gives kubeadm (control-plane-init.sh): the CA and the
  // service-account key pair; kubeadm generates every other certificate from them.
  for (const [from, to] of [[o.pki.caCert, "ca.crt"], [o.pki.caKey, "ca.key"], [o.pki.serviceAccountKey, "sa.key"], [o.pki.serviceAccountPub, "sa.pub"]]) {
    fs.copyFileSync(from, path.join(kubeDir, "pki", to));
  }
  let log = "";
  const phase = async (args: readonly string[]) => {
    const r = await inNodeNamespace(o.node, tool("KUBEADM"), ["init", "phase", ...args, "--config", o.config], o.env);
    log += r.output;
    if (r.code !== 0) throw new Error(`kubeadm init phase ${args.join(" ")} failed (${r.code}):\n${r.output}`);
  };
  for (const p of PHASES_BEFORE_KUBELET) {
    await phase(p);
    if (p[0] === "kubeconfig") pointKubeconfigsAt(kubeDir, o.endpoint, o.server.url);
  }
  await registerNode(o);
  await mirrorStaticPods(o, path.join(kubeDir, "manifests"));
  for (const p of PHASES_AFTER_KUBELET) await phase(p);
  return log;
}

/** Every kubeconfig kubeadm wrote names `endpoint`; the test server answers instead. */
function pointKubeconfigsAt(kubeDir: string, endpoint: string, url: string): void {
  const files = fs.readdirSync(kubeDir).filter((f) => f.endsWith(".conf"));
  if (files.length === 0) throw new Error(`kubeadm wrote no kubeconfig in ${kubeDir}`);
  for (const f of files) {
    const file = path.join(kubeDir, f);
    const text = fs.readFileSync(file, "utf8");
    const line = `server: ${endpoint}\n`;
    if (!text.includes(line)) throw new Error(`${f} does not name ${endpoint}:\n${text.replace(/-data: .*/g, "-data: …")}`);
    fs.writeFileSync(file, text.split(line).join(`server: ${url}\n`));
  }
}

async function must(what: string, res: Promise<{ status: number; body: string; warnings: string[] }>, ok: number[]) {
  const r = await res;
  if (!ok.includes(r.status)) throw new Error(`${what}: ${serverMessage(r)}`);
  return JSON.parse(r.body) as Record<string, unknown>;
}

/** The Node as a kubelet registers it, then Ready with its version, as its status updates say. */
async function registerNode(o: SeedOptions): Promise<void> {
  const c = o.server.client;
  const labels = { "kubernetes.io/hostname": o.nodeName, "kubernetes.io/os": "linux", "kubernetes.io/arch": "amd64" };
  await must("register the Node", c.request("POST", "/api/v1/nodes", { apiVersion: "v1", kind: "Node", metadata: { name: o.nodeName, labels } }), [201]);
  const node = await must("read the Node", c.request("GET", `/api/v1/nodes/${o.nodeName}`), [200]);
  const now = new Date().toISOString().replace(/\.\d{3}Z$/, "Z");
  node.status = {
    conditions: [{ type: "Ready", status: "True", reason: "KubeletReady", message: "kubelet is posting ready status", lastHeartbeatTime: now, lastTransitionTime: now }],
    nodeInfo: {
      kubeletVersion: o.kubeletVersion, containerRuntimeVersion: "containerd://2.2.1", operatingSystem: "linux", architecture: "amd64",
      machineID: "", systemUUID: "", bootID: "", kernelVersion: "", osImage: "", kubeProxyVersion: "",
    },
  };
  const updated = await must("update the Node's status", c.request("PUT", `/api/v1/nodes/${o.nodeName}/status`, node), [200]);
  const info = (updated.status as { nodeInfo?: { kubeletVersion?: string } }).nodeInfo;
  if (info?.kubeletVersion !== o.kubeletVersion) throw new Error(`the Node reports kubelet ${info?.kubeletVersion}, not ${o.kubeletVersion}`);
}

/** The kubelet's mirror pod of every static pod manifest (name `<pod>-<node>`, bound to the node). */
async function mirrorStaticPods(o: SeedOptions, manifests: string): Promise<void> {
  const files = fs.readdirSync(manifests).filter((f) => f.endsWith(".yaml")).sort();
  if (files.length !== 4) throw new Error(`expected the four static pod manifests in ${manifests}, found ${files.join(", ")}`);
  for (const f of files) {
    const pod = parseYaml(fs.readFileSync(path.join(manifests, f), "utf8")) as { metadata: Record<string, unknown>; spec: Record<string, unknown> };
    pod.metadata.name = `${String(pod.metadata.name)}-${o.nodeName}`;
    pod.metadata.annotations = { ...(pod.metadata.annotations as object), "kubernetes.io/config.mirror": f, "kubernetes.io/config.source": "file" };
    pod.spec.nodeName = o.nodeName;
    await must(`mirror pod of ${f}`, o.server.client.request("POST", "/api/v1/namespaces/kube-system/pods", pod), [201]);
  }
}
