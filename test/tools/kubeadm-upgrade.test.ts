/**
 * control-plane-upgrade.sh with the real kubeadm: `kubeadm upgrade plan` and `kubeadm
 * upgrade apply --dry-run` (the script's UPGRADE_DRY_RUN=1) against a real API server,
 * on a control plane that kubeadm's own init phases laid out from the configuration the
 * project renders.
 *
 * What runs for real:
 *   - the script itself (bash, in the bootstrap harness), curl and gpg for the target
 *     minor's signing key, from the harness's HTTP server;
 *   - kubeadm of the pinned release (built by build-tools.sh; `kubeadm version` says v1.35.4 today):
 *     the init phases that seed the node and the cluster (kubeadm-node.ts), then the
 *     script's `kubeadm upgrade plan` and `kubeadm upgrade apply -y --dry-run`, in a
 *     private mount namespace where /etc/kubernetes and /var/lib/kubelet are the test's
 *     (node-namespace.sh; root only);
 *   - kube-apiserver and etcd of the pinned release (TestApiServer): the kubeadm-config,
 *     kubelet-config, kube-proxy and CoreDNS objects, RBAC and the Node that kubeadm reads.
 *
 * The cluster is seeded as `kubeadm init` for one patch below the pin leaves it (today
 * 1.35.3: the configuration, static pod manifests, Node and kube-proxy name v1.35.3) and
 * upgraded to the pin (v1.35.4), the version the built kubeadm is: kubeadm upgrades to its own version or below, and only
 * one kubeadm and one API server binary are built. kubeadm reads the cluster's version
 * two ways, both visible below: `plan` from the kubeadm-config ConfigMap (v1.35.3),
 * `apply` from the API server's /version (the binary's v1.35.4).
 *
 * Stand-ins (recorded): apt-get/apt-mark (the target kubeadm "installed" is the built
 * one), systemctl, kubectl (its `version` reports v1.35.3, the API server the static
 * pod manifest names: the binary here reports v1.35.4), and `kubelet --version` (v1.35.3,
 * the installed kubelet that kubeadm's SystemVerification asks). Every kubeadm call goes
 * through a recording wrapper that adds only these `--ignore-preflight-errors`, each
 * because of something this machine lacks, not the cluster:
 *   - plan, CreateJob: the Job kubeadm creates never runs (no scheduler, kubelet or
 *     container runtime); kubeadm waits 15 s for it and goes on with a warning;
 *   - apply, ContainerRuntimeVersion: no containerd socket;
 *   - apply, SystemVerification, only on a machine with cgroup v1 (kubeadm 1.35 refuses
 *     cgroup v1; Ubuntu 24.04 nodes run cgroup v2): it is a property of the test machine.
 * ControlPlaneNodesReady and StaticPodManifest pass for real (the Node is Ready, the
 * manifests are kubeadm's). The drain, kubelet install and restart are not reached: the
 * dry run stops before them (control-plane-upgrade.test.ts covers them with stand-ins).
 */
import * as fs from "node:fs";
import * as path from "node:path";
import { parse as parseYaml } from "yaml";
import { controlPlaneBootstrapEnv } from "../../infra/nodes/control-plane";
import { renderEnvFile } from "../../infra/nodes/user-data";
import { KUBERNETES_VERSION } from "../../infra/versions";
import { TestApiServer } from "./apiserver";
import { BOOTSTRAP_DIR, BootstrapHarness } from "./bootstrap-harness";
import { CommandResult, inNodeNamespace, KUBERNETES_DIR, NodeDirs, seedControlPlane } from "./kubeadm-node";
import { makeTestPki } from "./pki";
import { SYSTEM_PATH, tool } from "./tool-paths";

jest.setTimeout(300_000);

const NODE_NAME = "ip-10-0-0-10.eu-west-1.compute.internal";
const ENDPOINT_IP = "10.0.0.10";
const [MAJOR, MINOR, PATCH] = KUBERNETES_VERSION.split(".").map(Number);
// Seeded one patch below the pin, and a patch downgrade one further below.
if (PATCH < 2) throw new Error(`kubeadm-upgrade.test.ts needs a pinned patch of at least 2 (KUBERNETES_VERSION ${KUBERNETES_VERSION})`);
/** The release the cluster was initialised with: one patch below the built kubeadm. */
const FROM = `${MAJOR}.${MINOR}.${PATCH - 1}`;
const TO = KUBERNETES_VERSION;
/** Targets kubeadm or the script must refuse: a skipped minor, the previous minor, an older patch. */
const SKIPPED_MINOR = `${MAJOR}.${MINOR + 2}.0`;
const PREVIOUS_MINOR = `${MAJOR}.${MINOR - 1}.9`;
const OLDER_PATCH = `${MAJOR}.${MINOR}.${PATCH - 2}`;
const ISSUER = "https://test-oidc-1.s3.eu-west-1.amazonaws.com";
/** Machine-bound preflight failures to ignore (see the file comment). */
const CGROUP_V1 = !fs.existsSync("/sys/fs/cgroup/cgroup.controllers");
const IGNORE_PLAN = ["CreateJob"];
const IGNORE_APPLY = ["ContainerRuntimeVersion", ...(CGROUP_V1 ? ["SystemVerification"] : [])];

let h: BootstrapHarness;
let server: TestApiServer;
let node: NodeDirs;
let binDir: string;
let kubeadmCalls: string;

/** Environment of runs on the node: the wrapper and kubelet stand-in, then the harness's stand-ins. */
function nodeEnv(extra: Record<string, string> = {}): NodeJS.ProcessEnv {
  return h.env({ PATH: `${binDir}:${h.standInDir}:${SYSTEM_PATH}`, ...extra });
}

/** The wrapper every kubeadm call of the script goes through: records it, adds the ignores above, runs the real kubeadm. */
function writeNodeBin(dir: string): void {
  fs.mkdirSync(dir, { recursive: true });
  const kubeadm = [
    "#!/usr/bin/env bash",
    "set -euo pipefail",
    `printf '%s\\n' "$*" >>'${kubeadmCalls}'`,
    "extra=()",
    'case "${1:-} ${2:-}" in',
    `  "upgrade plan") extra=(--ignore-preflight-errors=${IGNORE_PLAN.join(",")}) ;;`,
    `  "upgrade apply") extra=(--ignore-preflight-errors=${IGNORE_APPLY.join(",")}) ;;`,
    "esac",
    `exec '${tool("KUBEADM")}' "$@" "\${extra[@]}"`,
    "",
  ].join("\n");
  fs.writeFileSync(path.join(dir, "kubeadm"), kubeadm, { mode: 0o755 });
  // The kubelet installed on the node (it cannot run here); SystemVerification asks its version.
  fs.writeFileSync(path.join(dir, "kubelet"), `#!/usr/bin/env bash\n[ "\${1:-}" = --version ] && echo "Kubernetes v${FROM}"\n`, { mode: 0o755 });
}

/** The real kubeadm, in the node's namespace, with the same ignores as the wrapper. */
const kubeadm = (args: string[]): Promise<CommandResult> => inNodeNamespace(node, path.join(binDir, "kubeadm"), args, nodeEnv());

/** The script as the SSM document runs it, with UPGRADE_DRY_RUN=1, in the node's namespace. */
async function upgradeScript(target: string): Promise<CommandResult> {
  const versions = path.join(h.dir, "server-versions");
  fs.writeFileSync(versions, `v${FROM}\n`);
  const env = nodeEnv({
    KUBERNETES_VERSION: target,
    KUBERNETES_PACKAGE_VERSION: `${target}-1.1`,
    UPGRADE_DRY_RUN: "1",
    KUBECTL_SERVER_VERSIONS: versions,
    POLL_SECONDS: "1",
    INIT_WAIT_SECONDS: "5",
    NETWORK_ATTEMPTS: "1",
  });
  return inNodeNamespace(node, path.join(BOOTSTRAP_DIR, "control-plane-upgrade.sh"), [], env);
}

const calls = (): string[] => (fs.existsSync(kubeadmCalls) ? fs.readFileSync(kubeadmCalls, "utf8").split("\n").filter((l) => l !== "") : []);

/** Files `kubeadm upgrade apply --dry-run` says it would write, with their content. */
function wouldWrite(output: string): Map<string, string> {
  const files = new Map<string, string>();
  const lines = output.split("\n");
  for (let i = 0; i < lines.length; i++) {
    const m = /^\[dryrun\] Would write file "([^"]+)" with content:$/.exec(lines[i]);
    if (!m) continue;
    const body: string[] = [];
    // The content runs until kubeadm's next message ("[phase] …" or a klog line).
    for (i++; i < lines.length && !/^(\[|[IWE]\d{4} )/.test(lines[i]); i++) body.push(lines[i]);
    i--;
    files.set(m[1], body.join("\n"));
  }
  return files;
}

async function configMapData(name: string): Promise<Record<string, string>> {
  const res = await server.client.request("GET", `/api/v1/namespaces/kube-system/configmaps/${name}`);
  expect(res.status).toBe(200);
  return (JSON.parse(res.body) as { data: Record<string, string> }).data;
}

const manifestImage = (file: string): string => {
  const pod = parseYaml(fs.readFileSync(path.join(node.root, "etc", "kubernetes", "manifests", file), "utf8")) as { spec: { containers: { image: string }[] } };
  return pod.spec.containers[0].image;
};

beforeAll(async () => {
  // Mounts need root, as CI has; anywhere else this fails with the reason rather than passing unrun.
  if (process.getuid?.() !== 0) throw new Error("kubeadm-upgrade.test.ts needs root: the real kubeadm runs in a private mount namespace (node-namespace.sh)");
  h = await BootstrapHarness.start();
  binDir = path.join(h.dir, "node-bin");
  kubeadmCalls = path.join(h.dir, "kubeadm-calls.log");
  writeNodeBin(binDir);
  node = { root: h.root, scratch: path.join(h.dir, "scratch") };
  fs.mkdirSync(node.scratch);

  const pki = makeTestPki(path.join(h.dir, "apiserver-pki"));
  server = await TestApiServer.start({ pki, dir: path.join(h.dir, "apiserver") });

  // The bootstrap env file of a control plane initialised with FROM, and its node env.
  h.writeBootstrapEnv(renderEnvFile(controlPlaneBootstrapEnv({
    clusterName: "test", region: "eu-west-1", kubernetesVersion: FROM, endpointIp: ENDPOINT_IP, certSans: [ENDPOINT_IP],
    podCidr: "192.168.0.0/16", serviceCidr: "10.96.0.0/12", pkiSecretArn: "arn:pki", joinSecretArn: "arn:join",
    backupBucket: "b", kmsKeyArn: "arn:kms", backupIntervalMinutes: 60, backupKeep: 168, joinTokenTtlHours: 24, joinTokenRotationHours: 6,
    serviceAccountIssuerUrl: ISSUER, vpcCidr: "10.0.0.0/16",
  }), "test"));
  fs.writeFileSync(path.join(h.root, "etc", "platform", "node.env"), `NODE_NAME='${NODE_NAME}'\nNODE_IP='${ENDPOINT_IP}'\n`);
  for (const d of ["etc/apt/keyrings", "etc/apt/sources.list.d", "var/lib/platform"]) fs.mkdirSync(path.join(h.root, d), { recursive: true });

  // The kubeadm configuration exactly as control-plane-init.sh renders it on the node.
  const rendered = await h.run("control-plane-init.sh", { RENDER_ONLY: "1" });
  expect(rendered).toEqual(expect.objectContaining({ code: 0 }));
  const config = `${KUBERNETES_DIR}/kubeadm-config.yaml`;
  expect(fs.readFileSync(path.join(h.root, config), "utf8")).toContain(`kubernetesVersion: "v${FROM}"`);

  await seedControlPlane({
    node, server, pki, config, nodeName: NODE_NAME, endpoint: `https://${ENDPOINT_IP}:6443`, kubeletVersion: `v${FROM}`, env: nodeEnv(),
  });
  fs.writeFileSync(path.join(h.root, "var", "lib", "platform", "kubeadm-init.done"), "INITIALISED_AT=2026-11-30T00:00:00Z\nRESTORED_FROM=none\n");
}, 300_000);

afterAll(async () => {
  await server?.stop();
  await h?.stop();
});

describe("control-plane-upgrade.sh with the real kubeadm (dry run)", () => {
  test(`the seeded cluster is what kubeadm init for v${FROM} leaves`, async () => {
    expect((await configMapData("kubeadm-config")).ClusterConfiguration).toMatch(new RegExp(`^kubernetesVersion: v${FROM.replace(/\./g, "\\.")}$`, "m"));
    expect(Object.keys(await configMapData("kubelet-config"))).toEqual(["kubelet"]);
    // What every joining kubelet downloads: kubeadm carried serverTLSBootstrap over from the rendered init configuration.
    expect((parseYaml((await configMapData("kubelet-config")).kubelet) as { serverTLSBootstrap?: boolean }).serverTLSBootstrap).toBe(true);
    expect(Object.keys(await configMapData("kube-proxy"))).toEqual(expect.arrayContaining(["config.conf", "kubeconfig.conf"]));
    expect(manifestImage("kube-apiserver.yaml")).toBe(`registry.k8s.io/kube-apiserver:v${FROM}`);
    const n = JSON.parse((await server.client.request("GET", `/api/v1/nodes/${NODE_NAME}`)).body) as { metadata: { labels: Record<string, string> }; spec: { taints?: { key: string }[] } };
    expect(n.metadata.labels["node-role.kubernetes.io/control-plane"]).toBe("");
    expect(n.spec.taints?.map((t) => t.key)).toContain("node-role.kubernetes.io/control-plane");
  });

  test(`plans v${FROM} -> v${TO} and dry-runs the apply: kubeadm would write v${TO} static pods; nothing changes`, async () => {
    const envBefore = fs.readFileSync(path.join(h.root, "etc", "platform", "bootstrap.env"), "utf8");
    fs.rmSync(kubeadmCalls, { force: true });
    const seeded = h.invocations().length; // kubeadm's kubelet-start phase restarted the (stand-in) kubelet
    const r = await upgradeScript(TO);
    expect(r).toEqual(expect.objectContaining({ code: 0 }));
    expect(calls()).toEqual([`upgrade plan v${TO}`, `upgrade apply -y --dry-run v${TO}`]);

    // kubeadm upgrade plan: the cluster's version from kubeadm-config, every component's from its mirror pod.
    expect(r.output).toContain(`[upgrade/versions] Cluster version: ${FROM}`);
    expect(r.output).toContain(`[upgrade/versions] Target version: v${TO}`);
    for (const c of ["kube-apiserver", "kube-controller-manager", "kube-scheduler"]) {
      expect(r.output).toMatch(new RegExp(`^${c}\\s+${NODE_NAME.replace(/\./g, "\\.")}\\s+v${FROM.replace(/\./g, "\\.")}\\s+v${TO.replace(/\./g, "\\.")}$`, "m"));
    }
    expect(r.output).toMatch(new RegExp(`^kubelet\\s+${NODE_NAME.replace(/\./g, "\\.")}\\s+v${FROM.replace(/\./g, "\\.")}\\s+v${TO.replace(/\./g, "\\.")}$`, "m"));
    expect(r.output).toContain(`kubeadm upgrade apply v${TO}`);
    expect(r.output).toMatch(/\[WARNING CreateJob\]/);

    // kubeadm upgrade apply --dry-run: the version policy passed, the static pods it would write name the target
    // and keep the project's flags (the published issuer, encryption at rest).
    expect(r.output).toContain(`[upgrade/preflight] You have chosen to upgrade the cluster version to "v${TO}"`);
    const files = wouldWrite(r.output);
    for (const c of ["kube-apiserver", "kube-controller-manager", "kube-scheduler"]) {
      const pod = parseYaml(files.get(`${KUBERNETES_DIR}/manifests/${c}.yaml`) ?? "") as { spec: { containers: { image: string; command: string[] }[] } };
      expect(pod.spec.containers[0].image).toBe(`registry.k8s.io/${c}:v${TO}`);
      if (c === "kube-apiserver") {
        expect(pod.spec.containers[0].command).toEqual(expect.arrayContaining([
          `--service-account-issuer=${ISSUER}`,
          "--encryption-provider-config=/etc/kubernetes/encryption/config.yaml",
        ]));
      }
    }
    expect(files.has("/var/lib/kubelet/config.yaml")).toBe(true);
    expect(r.output).toContain("[upgrade/successful] Finished dryrunning successfully!");
    expect(r.output).toMatch(new RegExp(`dry run: kubeadm would upgrade the control plane to v${TO.replace(/\./g, "\\.")}; stopping before the drain`));

    // Nothing changed: manifests on the node, the cluster's configuration, the env file; no drain, no kubelet.
    expect(manifestImage("kube-apiserver.yaml")).toBe(`registry.k8s.io/kube-apiserver:v${FROM}`);
    expect((await configMapData("kubeadm-config")).ClusterConfiguration).toMatch(new RegExp(`^kubernetesVersion: v${FROM.replace(/\./g, "\\.")}$`, "m"));
    expect(fs.readFileSync(path.join(h.root, "etc", "platform", "bootstrap.env"), "utf8")).toBe(envBefore);
    const standIns = h.invocations().slice(seeded).map((c) => [c.command, ...c.args].join(" "));
    expect(standIns.filter((s) => s.startsWith("apt-get") && s.includes("install"))).toEqual([
      `apt-get -o DPkg::Lock::Timeout=600 -y -q install --no-install-recommends --allow-change-held-packages kubeadm=${TO}-1.1`,
    ]);
    expect(standIns.some((s) => / drain | uncordon |kubelet=|restart kubelet/.test(` ${s} `))).toBe(false);
  });

  test("kubeadm itself refuses a skipped minor and a downgrade to the previous minor (a patch downgrade it allows)", async () => {
    const skipped = await kubeadm(["upgrade", "apply", "-y", "--dry-run", `v${SKIPPED_MINOR}`]);
    expect(skipped.code).toBe(1);
    expect(skipped.output).toContain(`Specified version to upgrade to "v${SKIPPED_MINOR}" is too high; kubeadm can upgrade only 1 minor version at a time`);

    const down = await kubeadm(["upgrade", "apply", "-y", "--dry-run", `v${PREVIOUS_MINOR}`]);
    expect(down.code).toBe(1);
    expect(down.output).toContain(`Kubeadm version v${TO} can only be used to upgrade to Kubernetes version ${MAJOR}.${MINOR}`);
    expect(down.output).toContain("Can be bypassed if you pass the --force flag"); // the script never passes it

    const patchDown = await kubeadm(["upgrade", "apply", "-y", "--dry-run", `v${OLDER_PATCH}`]);
    expect(patchDown.code).toBe(0);
    expect(patchDown.output).toContain("[upgrade/successful] Finished dryrunning successfully!");
  });

  test("the script refuses a skipped minor and any downgrade (the patch downgrade kubeadm allows too) before kubeadm runs", async () => {
    for (const target of [SKIPPED_MINOR, OLDER_PATCH]) {
      fs.rmSync(kubeadmCalls, { force: true });
      const r = await upgradeScript(target);
      expect(r.code).toBe(1);
      expect(r.output).toContain(`refusing v${FROM} -> v${target}: kubeadm upgrades one minor at a time and never down`);
      expect(calls()).toEqual([]);
    }
  });
});
