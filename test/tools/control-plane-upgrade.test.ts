/**
 * control-plane-upgrade.sh (what the SSM document of infra/nodes/upgrade.ts runs on the
 * control plane when `kubernetesVersion` changes), executed in the bootstrap harness.
 *
 * What runs for real: the script itself (bash), curl and gpg fetching and dearmoring the
 * target minor's signing key from the harness's HTTP server, sed on the real env file.
 * Stand-ins (recorded, see bootstrap-harness.ts): apt-get/apt-mark, systemctl, `kubeadm
 * upgrade plan|apply` (they replace the static pods of a node: no node here), and kubectl,
 * whose `version` reports the API server versions the test lists, as an API server being
 * upgraded would. The same script with the real kubeadm (`kubeadm upgrade plan` and
 * `apply --dry-run` against a real API server, in a private mount namespace) is
 * kubeadm-upgrade.test.ts; the steps after the apply (drain, kubelet, restart, uncordon,
 * the wait, recording the version) run only here.
 */
import * as crypto from "node:crypto";
import * as fs from "node:fs";
import * as path from "node:path";
import { controlPlaneBootstrapEnv } from "../../infra/nodes/control-plane";
import { renderEnvFile } from "../../infra/nodes/user-data";
import { CONTAINERD_PACKAGE_VERSION } from "../../infra/versions";
import { armoredBlock, BootstrapHarness, Invocation } from "./bootstrap-harness";
import { SYSTEM_PATH } from "./tool-paths";

jest.setTimeout(120_000);

const NODE_NAME = "ip-10-0-0-10.eu-west-1.compute.internal";

async function node(runningVersions: string[], opts: { marker?: boolean; adminConf?: boolean } = {}): Promise<{ h: BootstrapHarness; versions: string }> {
  const h = await BootstrapHarness.start();
  const env = controlPlaneBootstrapEnv({
    clusterName: "test", region: "eu-west-1", kubernetesVersion: "1.35.4", endpointIp: "10.0.0.10", certSans: ["10.0.0.10"],
    podCidr: "192.168.0.0/16", serviceCidr: "10.96.0.0/12", pkiSecretArn: "arn:pki", joinSecretArn: "arn:join",
    backupBucket: "b", kmsKeyArn: "arn:kms", backupIntervalMinutes: 60, backupKeep: 168, joinTokenTtlHours: 24, joinTokenRotationHours: 6, vpcCidr: "10.0.0.0/16",
    ...{ serviceAccountIssuerUrl: "https://test-oidc-1.s3.eu-west-1.amazonaws.com" },
  });
  h.writeBootstrapEnv(renderEnvFile(env, "test"));
  const file = (rel: string, content: string) => {
    fs.mkdirSync(path.dirname(path.join(h.root, rel)), { recursive: true });
    fs.writeFileSync(path.join(h.root, rel), content);
  };
  file("etc/platform/node.env", `NODE_NAME='${NODE_NAME}'\nNODE_IP='10.0.0.10'\n`);
  if (opts.marker ?? true) file("var/lib/platform/kubeadm-init.done", "INITIALISED_AT=2026-11-30T00:00:00Z\nRESTORED_FROM=none\n");
  if (opts.adminConf ?? true) file("etc/kubernetes/admin.conf", "kubeadm wrote this\n");
  fs.mkdirSync(path.join(h.root, "etc", "apt", "keyrings"), { recursive: true });
  fs.mkdirSync(path.join(h.root, "etc", "apt", "sources.list.d"), { recursive: true });
  h.imds.serveFile("/k8s/v1.36/deb/Release.key", armoredBlock(crypto.randomBytes(64)));
  const versions = path.join(h.dir, "server-versions");
  fs.writeFileSync(versions, `${runningVersions.join("\n")}\n`);
  return { h, versions };
}

/**
 * `dpkg-query` answering for containerd with $CONTAINERD_INSTALLED (the pin unless a test
 * says otherwise); first on PATH, before the harness's stand-ins and the system.
 */
function dpkgQueryStandIn(h: BootstrapHarness): string {
  const dir = path.join(h.dir, "dpkg-bin");
  fs.mkdirSync(dir, { recursive: true });
  fs.writeFileSync(path.join(dir, "dpkg-query"), `#!/bin/sh\ncase "$*" in *" containerd") printf '%s' "$CONTAINERD_INSTALLED" ;; *) exit 1 ;; esac\n`, { mode: 0o755 });
  return `${dir}:${h.standInDir}:${SYSTEM_PATH}`;
}

const upgradeEnv = (h: BootstrapHarness, versions: string, target: string, containerdInstalled: string = CONTAINERD_PACKAGE_VERSION) => ({
  PATH: dpkgQueryStandIn(h),
  CONTAINERD_PACKAGE_VERSION,
  CONTAINERD_INSTALLED: containerdInstalled,
  KUBERNETES_VERSION: target,
  KUBERNETES_PACKAGE_VERSION: `${target}-1.1`,
  KUBECTL_SERVER_VERSIONS: versions,
  POLL_SECONDS: "1",
  WAIT_SECONDS: "20",
  INIT_WAIT_SECONDS: "5",
  NETWORK_ATTEMPTS: "1",
  K8S_APT_REPO_BASE: `${h.imds.url}/k8s`,
});

const steps = (calls: Invocation[]) =>
  calls
    .filter((c) => c.command !== "kubectl" || c.args[2] !== "version")
    .map((c) => [c.command, ...c.args.filter((a) => !a.startsWith("-o") && a !== "DPkg::Lock::Timeout=600" && !a.includes("kubeconfig") && !a.endsWith("admin.conf"))].join(" "));

describe("control-plane-upgrade.sh", () => {
  let h: BootstrapHarness | undefined;
  afterEach(async () => {
    await h?.stop();
    h = undefined;
  });

  test("upgrades in kubeadm's order: kubeadm, plan, apply, drain, kubelet and kubectl, restart, uncordon; then records the version", async () => {
    const n = await node(["v1.35.4", "v1.35.4", "v1.36.1"]);
    h = n.h;
    const r = await h.run("control-plane-upgrade.sh", upgradeEnv(h, n.versions, "1.36.1"));
    expect(r).toEqual(expect.objectContaining({ code: 0 }));
    expect(steps(h.invocations())).toEqual([
      "apt-get -y -q update",
      "apt-get -y -q install --no-install-recommends --allow-change-held-packages kubeadm=1.36.1-1.1",
      "apt-mark hold kubeadm",
      "kubeadm upgrade plan v1.36.1",
      "kubeadm upgrade apply -y v1.36.1",
      `kubectl drain ${NODE_NAME} --ignore-daemonsets --delete-emptydir-data --timeout=5m`,
      "apt-get -y -q install --no-install-recommends --allow-change-held-packages kubelet=1.36.1-1.1 kubectl=1.36.1-1.1",
      "apt-mark hold kubelet kubectl",
      "systemctl daemon-reload",
      "systemctl restart kubelet",
      `kubectl uncordon ${NODE_NAME}`,
    ]);
    expect(fs.readFileSync(path.join(h.root, "etc", "apt", "sources.list.d", "kubernetes.list"), "utf8")).toContain("/k8s/v1.36/deb/ /");
    const env = fs.readFileSync(path.join(h.root, "etc", "platform", "bootstrap.env"), "utf8");
    expect(env).toMatch(/^KUBERNETES_VERSION='1\.36\.1'$/m);
    expect(env).toMatch(/^KUBERNETES_PACKAGE_VERSION='1\.36\.1-1\.1'$/m);
    expect(r.output).toMatch(/the control plane runs v1\.36\.1/);
  });

  test("refuses a skipped minor or a downgrade before changing anything", async () => {
    for (const target of ["1.37.0", "1.35.3"]) {
      const n = await node(["v1.35.4"]);
      h = n.h;
      const r = await h.run("control-plane-upgrade.sh", upgradeEnv(h, n.versions, target));
      expect(r.code).toBe(1);
      expect(r.output).toMatch(new RegExp(`refusing v1\\.35\\.4 -> v${target.replace(/\./g, "\\.")}: kubeadm upgrades one minor at a time and never down`));
      expect(h.invocations().filter((c) => c.command !== "kubectl")).toEqual([]);
      await h.stop();
      h = undefined;
    }
  });

  test("a failed kubeadm upgrade apply fails the run (and so pulumi up) before the kubelet changes", async () => {
    const n = await node(["v1.35.4"]);
    h = n.h;
    const r = await h.run("control-plane-upgrade.sh", { ...upgradeEnv(h, n.versions, "1.35.9"), KUBEADM_UPGRADE_FAIL: "apply" });
    expect(r.code).toBe(1);
    expect(r.output).toMatch(/kubeadm upgrade apply v1\.35\.9 failed/);
    expect(steps(h.invocations()).some((s) => s.startsWith("kubectl drain") || s.includes("kubelet="))).toBe(false);
    expect(fs.readFileSync(path.join(h.root, "etc", "platform", "bootstrap.env"), "utf8")).toMatch(/^KUBERNETES_VERSION='1\.35\.4'$/m);
  });

  test("waits for the first boot: a booting control plane (no admin.conf) fails after the wait; one booted from earlier user-data (no marker, bootstrap unit active) is upgraded", async () => {
    const booting = await node(["v1.35.4"], { marker: false, adminConf: false });
    h = booting.h;
    const r = await h.run("control-plane-upgrade.sh", { ...upgradeEnv(h, booting.versions, "1.35.9"), INIT_WAIT_SECONDS: "2" });
    expect(r.code).toBe(1);
    expect(r.output).toMatch(/timed out after 2s waiting for the control plane to finish its first boot/);
    expect(h.invocations().filter((c) => c.command === "apt-get" || c.command === "kubeadm")).toEqual([]);
    await h.stop();

    const older = await node(["v1.35.4", "v1.35.9"], { marker: false });
    h = older.h;
    const upgraded = await h.run("control-plane-upgrade.sh", upgradeEnv(h, older.versions, "1.35.9"));
    expect(upgraded).toEqual(expect.objectContaining({ code: 0 }));
    expect(h.invocations()).toContainEqual({ command: "systemctl", args: ["is-active", "--quiet", "platform-bootstrap.service"] });
    expect(steps(h.invocations())).toContain("kubeadm upgrade apply -y v1.35.9");
  });

  test("does nothing but record the version when the API server reports it already (a re-run, or a new cluster)", async () => {
    const n = await node(["v1.35.4"]);
    h = n.h;
    const r = await h.run("control-plane-upgrade.sh", upgradeEnv(h, n.versions, "1.35.4"));
    expect(r).toEqual(expect.objectContaining({ code: 0 }));
    expect(r.output).toMatch(/nothing to do/);
    expect(h.invocations().filter((c) => c.command !== "kubectl")).toEqual([]);
  });
  test("moves a control plane still on another containerd to the pin while drained, then records the pin", async () => {
    const n = await node(["v1.35.4", "v1.35.4", "v1.36.1"]);
    h = n.h;
    const r = await h.run("control-plane-upgrade.sh", upgradeEnv(h, n.versions, "1.36.1", "1.7.12-0ubuntu4"));
    expect(r).toEqual(expect.objectContaining({ code: 0 }));
    const s = steps(h.invocations());
    const at = (step: string) => s.findIndex((x) => x.startsWith(step));
    expect(s).toContain(`apt-get -y -q install --no-install-recommends --allow-downgrades --allow-change-held-packages containerd=${CONTAINERD_PACKAGE_VERSION}`);
    expect(at("kubectl drain")).toBeLessThan(at("apt-get -y -q install --no-install-recommends --allow-downgrades"));
    expect(at("systemctl restart containerd")).toBeLessThan(at("apt-get -y -q install --no-install-recommends --allow-change-held-packages kubelet="));
    expect(s).toContain("apt-mark hold containerd");
    expect(r.output).toContain(`moving containerd 1.7.12-0ubuntu4 -> ${CONTAINERD_PACKAGE_VERSION}`);
    const env = fs.readFileSync(path.join(h.root, "etc", "platform", "bootstrap.env"), "utf8");
    expect(env).toMatch(new RegExp(`^CONTAINERD_PACKAGE_VERSION='${CONTAINERD_PACKAGE_VERSION.replace(/[.~]/g, "\\$&")}'$`, "m"));
  });

  test("at the version already, a runtime that differs from the pin is moved on its own (drain, runtime, kubelet restart, uncordon; no kubeadm)", async () => {
    const n = await node(["v1.35.4"]);
    h = n.h;
    const r = await h.run("control-plane-upgrade.sh", upgradeEnv(h, n.versions, "1.35.4", "1.7.12-0ubuntu4"));
    expect(r).toEqual(expect.objectContaining({ code: 0 }));
    expect(steps(h.invocations())).toEqual([
      `kubectl drain ${NODE_NAME} --ignore-daemonsets --delete-emptydir-data --timeout=5m`,
      "apt-get -y -q update",
      `apt-get -y -q install --no-install-recommends --allow-downgrades --allow-change-held-packages containerd=${CONTAINERD_PACKAGE_VERSION}`,
      "apt-mark hold containerd",
      "systemctl restart containerd",
      "systemctl restart kubelet",
      `kubectl uncordon ${NODE_NAME}`,
    ]);
  });
});
