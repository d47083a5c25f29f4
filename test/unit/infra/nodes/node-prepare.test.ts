/**
 * node-prepare.sh run for real with bash against stand-ins (IMDS through a `curl`
 * stand-in, apt and dpkg as a small package database in the sandbox, systemctl & co.
 * recording their arguments), with the env file the program renders for a worker: the
 * pinned containerd 2.x is installed and held for every supported minor, its
 * configuration keeps SystemdCgroup and kubeadm's pause image, and a minor after 1.35
 * refuses a containerd 1.x node before the kubelet is installed.
 */
import { spawnSync } from "child_process";
import * as fs from "fs";
import * as os from "os";
import * as path from "path";
import { parse } from "yaml";
import { NODE_BOOTSTRAP_ENV } from "../../../../infra/nodes/user-data";
import { renderWorkerUserData } from "../../../../infra/nodes/workers";
import { CONTAINERD_PACKAGE_VERSION, KUBERNETES_PACKAGE_REVISION, KUBERNETES_VERSION } from "../../../../infra/versions";

const SCRIPT = path.resolve(__dirname, "../../../../infra/nodes/bootstrap/node-prepare.sh");
const PAUSE = "registry.k8s.io/pause:3.10.1";
/** What Ubuntu 24.04's release pocket installs when no version is asked for. */
const NOBLE_CONTAINERD = "1.7.12-0ubuntu4";

const STAND_INS: Record<string, string> = {
  curl: `url="\${*: -1}"; out=""
while [ $# -gt 0 ]; do [ "$1" = -o ] && out="$2"; shift; done
case "$url" in
  */api/token) echo token ;;
  */local-hostname) echo ip-10-0-1-5.ec2.internal ;;
  */local-ipv4) echo 10.0.1.5 ;;
  */instance-id) echo i-0123456789abcdef0 ;;
  */placement/availability-zone) echo us-east-1a ;;
  *Release.key) echo KEY >"$out" ;;
  *) exit 22 ;;
esac`,
  "dpkg-query": `db="$SANDBOX/pkgs/\${*: -1}"; [ -f "$db" ] || exit 1
case "$*" in *Status*) echo "install ok installed" ;; *) cat "$db" ;; esac`,
  "apt-get": `echo "apt-get $*" >>"$SANDBOX/calls.log"
[ "$1" = -o ] && shift 2; [ "$1" = -o ] && shift 2
for a in "$@"; do case "$a" in -*|install|update) ;; *=*) echo "\${a#*=}" >"$SANDBOX/pkgs/\${a%%=*}" ;;
  containerd) echo "$ARCHIVE_CONTAINERD" >"$SANDBOX/pkgs/containerd" ;; *) echo 1 >"$SANDBOX/pkgs/$a" ;; esac; done`,
  gpg: `while [ $# -gt 0 ]; do [ "$1" = -o ] && echo KEY >"$2"; shift; done`,
  kubeadm: `echo registry.k8s.io/kube-apiserver:v1.35.4; echo ${PAUSE}`,
  containerd: `cat <<'T'
version = 3
[plugins.'io.containerd.cri.v1.images'.pinned_images]
  sandbox = 'registry.k8s.io/pause:3.10'
[plugins.'io.containerd.cri.v1.runtime'.containerd.runtimes.runc.options]
  SystemdCgroup = false
T`,
  aws: `echo "aws-cli/2.22.0 Python/3.12"`,
};
const RECORDERS = ["apt-mark", "hostnamectl", "swapoff", "systemctl", "modprobe", "sysctl", "snap"];

function sandbox(): string {
  const dir = fs.mkdtempSync(path.join(os.tmpdir(), "node-prepare-"));
  fs.mkdirSync(path.join(dir, "bin"));
  fs.mkdirSync(path.join(dir, "pkgs"));
  for (const [name, body] of Object.entries(STAND_INS)) fs.writeFileSync(path.join(dir, "bin", name), `#!/usr/bin/env bash\n${body}\n`, { mode: 0o755 });
  for (const name of RECORDERS) fs.writeFileSync(path.join(dir, "bin", name), `#!/usr/bin/env bash\necho "${name} $*" >>"$SANDBOX/calls.log"\n`, { mode: 0o755 });
  return dir;
}

/** The files of a worker's user-data, as the program renders them for `kubernetesVersion`. */
function workerFiles(kubernetesVersion: string): { path: string; content: string }[] {
  const doc = parse(
    renderWorkerUserData({
      clusterName: "demo",
      region: "us-east-1",
      kubernetesVersion,
      joinSecretArn: "arn:aws:secretsmanager:us-east-1:123456789012:secret:demo/join-AbCdEf",
      joinTimeoutMinutes: 30,
      pool: { name: "general", labels: {}, taints: [] },
    }),
  ) as { write_files: { path: string; content: string }[] };
  return doc.write_files;
}

/** The env file of a worker's user-data. */
function workerEnv(kubernetesVersion: string): string {
  return workerFiles(kubernetesVersion).find((f) => f.path === NODE_BOOTSTRAP_ENV)!.content;
}

/** Runs node-prepare.sh in a sandbox; `standIns` replaces stand-ins by name (their script bodies). */
function run(env: string, installed: Record<string, string> = {}, standIns: Record<string, string> = {}) {
  const dir = sandbox();
  for (const [name, body] of Object.entries(standIns)) fs.writeFileSync(path.join(dir, "bin", name), `#!/usr/bin/env bash\n${body}\n`, { mode: 0o755 });
  for (const [p, v] of Object.entries(installed)) fs.writeFileSync(path.join(dir, "pkgs", p), `${v}\n`);
  fs.writeFileSync(path.join(dir, "bootstrap.env"), env);
  // The units the user-data places beside the scripts (node-prepare.sh installs them).
  for (const f of workerFiles(KUBERNETES_VERSION).filter((f) => f.path.startsWith("/opt/platform/units/"))) {
    fs.mkdirSync(path.join(dir, "root", path.dirname(f.path)), { recursive: true });
    fs.writeFileSync(path.join(dir, "root", f.path), f.content);
  }
  const r = spawnSync("bash", [SCRIPT], {
    encoding: "utf8",
    env: {
      PATH: `${path.join(dir, "bin")}:${process.env.PATH}`,
      SANDBOX: dir,
      ROOT_DIR: path.join(dir, "root"),
      BOOTSTRAP_ENV: path.join(dir, "bootstrap.env"),
      ARCHIVE_CONTAINERD: NOBLE_CONTAINERD,
      NETWORK_FIRST_DELAY_SECONDS: "0",
    },
  });
  const read = (f: string) => (fs.existsSync(f) ? fs.readFileSync(f, "utf8") : "");
  const out = {
    status: r.status,
    stderr: r.stderr,
    calls: read(path.join(dir, "calls.log")),
    containerd: read(path.join(dir, "pkgs", "containerd")).trim(),
    config: read(path.join(dir, "root", "etc", "containerd", "config.toml")),
  };
  fs.rmSync(dir, { recursive: true, force: true });
  return out;
}

describe("node-prepare.sh: the container runtime", () => {
  it.each(["1.35.4", "1.36.2"])("installs and holds the pinned containerd 2.x on a fresh node for Kubernetes %s", (version) => {
    const env = workerEnv(version);
    expect(env).toContain(`CONTAINERD_PACKAGE_VERSION='${CONTAINERD_PACKAGE_VERSION}'`);
    const r = run(env);
    expect(r.stderr).toContain(`node prepared for Kubernetes ${version}`);
    expect(r.status).toBe(0);
    expect(r.calls).toMatch(new RegExp(`apt-get .* install .*containerd=${CONTAINERD_PACKAGE_VERSION.replace(/[.~]/g, "\\$&")}`));
    expect(r.calls).toContain("apt-mark hold containerd");
    expect(r.calls).toContain(`kubelet=${version}-${KUBERNETES_PACKAGE_REVISION}`);
    expect(r.containerd).toBe(CONTAINERD_PACKAGE_VERSION);
    expect(r.config).toMatch(/^\s*SystemdCgroup = true$/m);
    expect(r.config).toContain(`sandbox = '${PAUSE}'`);
  });

  it("moves a node that has another containerd build to the pin (downgrades allowed, the hold lifted for it)", () => {
    const r = run(workerEnv("1.36.2"), { containerd: "2.2.2-0ubuntu1~24.04.1" });
    expect(r.status).toBe(0);
    expect(r.calls).toMatch(/apt-get .*--allow-downgrades --allow-change-held-packages .*containerd=/);
    expect(r.containerd).toBe(CONTAINERD_PACKAGE_VERSION);
  });

  it("installs nothing from the archive when the pinned containerd and the base packages are there", () => {
    const base = Object.fromEntries(["apt-transport-https", "ca-certificates", "curl", "gpg", "jq", "nfs-common"].map((p) => [p, "1"]));
    const r = run(workerEnv("1.36.2"), { ...base, containerd: CONTAINERD_PACKAGE_VERSION });
    expect(r.status).toBe(0);
    expect(r.stderr).toContain("base packages and containerd are already installed");
    expect(r.calls).not.toMatch(/install .*containerd/);
  });

  it("refuses containerd 1.x for a minor after 1.35, before the kubelet is installed; 1.35 still runs on it", () => {
    const unpinned = (version: string) => workerEnv(version).replace(/^CONTAINERD_PACKAGE_VERSION=.*\n/m, "");
    const r136 = run(unpinned("1.36.2"));
    expect(r136.status).not.toBe(0);
    expect(r136.stderr).toContain(`Kubernetes 1.36 needs containerd 2.x, this node has '${NOBLE_CONTAINERD}'`);
    expect(r136.calls).not.toContain("kubelet=");
    const r135 = run(unpinned("1.35.4"));
    expect(r135.status).toBe(0);
    expect(r135.containerd).toBe(NOBLE_CONTAINERD);
  });
});

describe("node-prepare.sh: instance metadata closed to non-root host processes", () => {
  it("installs and starts imds-firewall.service first, from the unit the user-data places", () => {
    const r = run(workerEnv("1.35.4"));
    expect(r.status).toBe(0);
    const calls = r.calls.split("\n").filter(Boolean);
    expect(calls.slice(0, 3)).toEqual(["systemctl daemon-reload", "systemctl enable imds-firewall.service", "systemctl restart imds-firewall.service"]);
    expect(r.stderr).toContain("wrote /etc/systemd/system/imds-firewall.service");
  });

  it("stops the boot when the firewall unit fails", () => {
    const r = run(workerEnv("1.35.4"), {}, { systemctl: '[ "$1" = restart ] && exit 1\nexit 0' });
    expect(r.status).not.toBe(0);
    expect(r.stderr).toContain("imds-firewall.service failed");
    expect(r.stderr).not.toContain("reading instance identity");
  });
});
