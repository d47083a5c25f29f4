/**
 * Runs the node bootstrap scripts of infra/nodes/bootstrap for real, on this machine, with
 * only what cannot run here replaced:
 *
 * - the instance metadata service: {@link FakeImds} on a loopback port (IMDS_ENDPOINT);
 * - AWS: moto behind an intercepting proxy, reached by the real AWS CLI ({@link AwsEmulator});
 * - download sites (pkgs.k8s.io key, ecr-credential-provider release): files served by
 *   the fake IMDS's HTTP server (K8S_APT_REPO_BASE, ECR_PROVIDER_BASE_URL);
 * - programs that would change this machine or need a node (systemctl, apt-get, apt-mark,
 *   snap, hostnamectl, swapoff, modprobe, sysctl, containerd, `kubeadm init`, `join` and
 *   `reset`): stand-ins on PATH that record their arguments and succeed. Every other
 *   `kubeadm` command runs the real kubeadm of the pinned release (e.g. `kubeadm token
 *   create` against a real API server, `kubeadm config images list`);
 * - `ctr` (containerd's client, which the scripts use to run etcdctl/etcdutl from the etcd
 *   image): `ctr image pull` is recorded; `ctr run` runs the real etcdctl or etcdutl of the
 *   etcd release the tests build, with every `--mount` destination in the arguments
 *   translated to its source, as the container would see it.
 *
 * `kubeadm init` stand-in behaviours, chosen by the environment of a run:
 *   KUBEADM_EXIT_CODE           exit with this code (default 0);
 *   KUBEADM_INIT_FAIL_ONCE=f    the first call (f does not exist yet) writes what kubeadm's
 *                               kubeconfig and control-plane phases write (admin.conf, the
 *                               static pod manifests) and fails, as a failure in a later phase does;
 *   KUBEADM_INIT_READY_FILE=f   touches f.started, then waits (at most 180 s) for f to exist:
 *                               the test starts etcd and the API server meanwhile, as the
 *                               kubelet would from kubeadm's manifests.
 *
 * Files the scripts write go under ROOT_DIR, a temporary directory.
 */
import { spawn } from "node:child_process";
import * as crypto from "node:crypto";
import * as fs from "node:fs";
import * as os from "node:os";
import * as path from "node:path";
import { ECR_CREDENTIAL_PROVIDER_VERSION, KUBERNETES_VERSION } from "../../infra/versions";
import { AwsEmulator } from "./aws-emulator";
import { FakeImds, ImdsBehaviour, InstanceIdentity } from "./fake-imds";
import { parse as parseYaml } from "yaml";
import { SYSTEM_PATH, envName, tool } from "./tool-paths";

export const BOOTSTRAP_DIR = path.resolve(__dirname, "..", "..", "infra", "nodes", "bootstrap");

/** Commands replaced by recording stand-ins. */
export const STAND_INS = [
  "systemctl",
  "apt-get",
  "apt-mark",
  "snap",
  "hostnamectl",
  "swapoff",
  "modprobe",
  "sysctl",
  "containerd",
  "kubeadm",
  "ctr",
  "kubectl",
] as const;

/** What `containerd config default` prints (containerd 1.7 layout, the keys the scripts edit). */
const CONTAINERD_DEFAULT_CONFIG = `version = 2
root = "/var/lib/containerd"
state = "/run/containerd"

[plugins]
  [plugins."io.containerd.grpc.v1.cri"]
    sandbox_image = "registry.k8s.io/pause:3.8"
    [plugins."io.containerd.grpc.v1.cri".containerd]
      default_runtime_name = "runc"
      [plugins."io.containerd.grpc.v1.cri".containerd.runtimes]
        [plugins."io.containerd.grpc.v1.cri".containerd.runtimes.runc]
          runtime_type = "io.containerd.runc.v2"
          [plugins."io.containerd.grpc.v1.cri".containerd.runtimes.runc.options]
            SystemdCgroup = false
`;

/** What the stand-in download host serves as ecr-credential-provider, and its SHA-256. */
const STAND_IN_ECR_BINARY = Buffer.from("#!/bin/sh\necho fake ecr-credential-provider\n");
const STAND_IN_ECR_SHA256 = crypto.createHash("sha256").update(STAND_IN_ECR_BINARY).digest("hex");

/** A recorded call of a stand-in. */
export interface Invocation {
  command: string;
  args: string[];
}

export interface RunResult {
  code: number | null;
  /** stdout and stderr interleaved as the script wrote them. */
  output: string;
}

export interface HarnessOptions {
  identity?: Partial<InstanceIdentity>;
  imds?: ImdsBehaviour;
}

export const DEFAULT_IDENTITY: InstanceIdentity = {
  instanceId: "i-0123456789abcdef0",
  localHostname: "ip-10-0-1-23.eu-west-1.compute.internal",
  localIpv4: "10.0.1.23",
  availabilityZone: "eu-west-1a",
};


export class BootstrapHarness {
  private constructor(
    /** Temporary directory holding everything below. */
    readonly dir: string,
    /** ROOT_DIR of the scripts. */
    readonly root: string,
    /** Where the stand-ins live (first on PATH). */
    readonly standInDir: string,
    /** Stand-in call log. */
    private readonly callLog: string,
    /** PLATFORM_BIN: the scripts as the user-data installs them (mode 0755). */
    private platformBin: string,
    readonly imds: FakeImds,
    readonly aws: AwsEmulator,
  ) {}

  static async start(opts: HarnessOptions = {}): Promise<BootstrapHarness> {
    const dir = fs.mkdtempSync(path.join(os.tmpdir(), "bootstrap-"));
    const root = path.join(dir, "root");
    const standInDir = path.join(dir, "bin");
    const callLog = path.join(dir, "calls.log");
    fs.mkdirSync(root, { recursive: true });
    fs.mkdirSync(standInDir, { recursive: true });
    fs.mkdirSync(path.join(dir, "home"), { recursive: true });
    // S3 path-style addressing: the proxy's certificate covers <service>.<region>.amazonaws.com,
    // not <bucket>.s3.<region>.amazonaws.com (the scripts' commands are the same either way).
    fs.writeFileSync(path.join(dir, "aws-config"), "[default]\ns3 =\n    addressing_style = path\n");
    writeStandIns(standInDir, callLog, path.join(dir, "captured"));
    // The user-data writes every script to /opt/platform/bin with mode 0755; do the same.
    const platformBin = path.join(dir, "platform-bin");
    fs.mkdirSync(platformBin);
    for (const f of fs.readdirSync(BOOTSTRAP_DIR).filter((f) => f.endsWith(".sh"))) {
      fs.copyFileSync(path.join(BOOTSTRAP_DIR, f), path.join(platformBin, f));
      fs.chmodSync(path.join(platformBin, f), 0o755);
    }

    const imds = await FakeImds.start({ ...DEFAULT_IDENTITY, ...opts.identity }, opts.imds ?? {});
    // The pkgs.k8s.io signing key: `gpg --dearmor` only needs a well-formed armor block.
    imds.serveFile(`/k8s/v${KUBERNETES_VERSION.split(".").slice(0, 2).join(".")}/deb/Release.key`, armoredBlock(crypto.randomBytes(64)));
    const ecrBinary = STAND_IN_ECR_BINARY;
    const ecrPath = `/ecr/v${ECR_CREDENTIAL_PROVIDER_VERSION}/linux/amd64/ecr-credential-provider-linux-amd64`;
    imds.serveFile(ecrPath, ecrBinary);

    const aws = await AwsEmulator.start(path.join(dir, "aws"));
    return new BootstrapHarness(dir, root, standInDir, callLog, platformBin, imds, aws);
  }

  /** Environment of a script run: stand-ins first on PATH, every endpoint redirected. */
  env(extra: Record<string, string> = {}): NodeJS.ProcessEnv {
    return {
      // No user-level tool directories (pyenv, npm): the scripts get the system's
      // programs, as on a node, plus the stand-ins.
      PATH: `${this.standInDir}:${SYSTEM_PATH}`,
      HOME: path.join(this.dir, "home"),
      LANG: "C.UTF-8",
      TMPDIR: os.tmpdir(),
      ROOT_DIR: this.root,
      PLATFORM_BIN: this.platformBin,
      IMDS_ENDPOINT: this.imds.url,
      K8S_APT_REPO_BASE: `${this.imds.url}/k8s`,
      ECR_PROVIDER_BASE_URL: `${this.imds.url}/ecr`,
      NODE_ARCH: "amd64",
      REAL_KUBEADM: tool("KUBEADM"),
      // Only the etcd backup and restore tests need these; the others must not require them.
      REAL_ETCDCTL: process.env[envName("ETCDCTL")] ?? "",
      REAL_ETCDUTL: process.env[envName("ETCDUTL")] ?? "",
      ...this.aws.env(),
      AWS_CONFIG_FILE: path.join(this.dir, "aws-config"),
      ...extra,
    };
  }

  /**
   * Does what cloud-init does with the node's user-data: writes every `write_files` entry
   * under ROOT_DIR with its permissions. Scripts then run from ROOT_DIR/opt/platform/bin,
   * so `run("bootstrap.sh")` is the boot as platform-bootstrap.service starts it.
   */
  installUserData(cloudConfig: string): void {
    if (!cloudConfig.startsWith("#cloud-config\n")) throw new Error("user-data is not a cloud-config document");
    const doc = parseYaml(cloudConfig) as { write_files?: { path: string; permissions?: string; content: string; encoding?: string }[] };
    for (const f of doc.write_files ?? []) {
      if (f.encoding) throw new Error(`user-data file ${f.path}: encoding ${f.encoding} is not supported by the harness`);
      const target = path.join(this.root, f.path);
      fs.mkdirSync(path.dirname(target), { recursive: true });
      // The download host serves a stand-in binary: the env file records its SHA-256 in
      // place of the release's, so the script's check runs as on a node.
      const content = f.path === "/etc/platform/bootstrap.env" ? f.content.replace(/^ECR_CREDENTIAL_PROVIDER_SHA256_AMD64=.*$/m, `ECR_CREDENTIAL_PROVIDER_SHA256_AMD64='${STAND_IN_ECR_SHA256}'`) : f.content;
      fs.writeFileSync(target, content);
      fs.chmodSync(target, parseInt(f.permissions ?? "0644", 8));
    }
    this.platformBin = path.join(this.root, "opt", "platform", "bin");
  }

  /** Writes the bootstrap env file (`KEY='value'` lines) and returns its path. */
  writeBootstrapEnv(text: string): string {
    const file = path.join(this.root, "etc", "platform", "bootstrap.env");
    fs.mkdirSync(path.dirname(file), { recursive: true });
    fs.writeFileSync(file, text);
    return file;
  }

  /** Runs `<script>` from PLATFORM_BIN as the node would; kills it after `timeoutMs`. */
  run(script: string, extraEnv: Record<string, string> = {}, timeoutMs = 120_000): Promise<RunResult> {
    return new Promise((resolve) => {
      const child = spawn(path.join(this.platformBin, script), [], {
        env: this.env(extraEnv),
        stdio: ["ignore", "pipe", "pipe"],
      });
      let output = "";
      child.stdout.on("data", (d: Buffer) => (output += d.toString("utf8")));
      child.stderr.on("data", (d: Buffer) => (output += d.toString("utf8")));
      const timer = setTimeout(() => {
        output += `\n[harness] killed ${script} after ${timeoutMs / 1000}s\n`;
        child.kill("SIGKILL");
      }, timeoutMs);
      child.on("close", (code) => {
        clearTimeout(timer);
        resolve({ code, output });
      });
    });
  }

  /** Runs the AWS CLI (same one the scripts use) against the emulator, for test setup and checks. */
  awsCli(args: readonly string[]): Promise<{ code: number | null; stdout: string; stderr: string }> {
    return new Promise((resolve) => {
      const child = spawn("aws", args, { env: this.env(), stdio: ["ignore", "pipe", "pipe"] });
      let stdout = "";
      let stderr = "";
      child.stdout.on("data", (d: Buffer) => (stdout += d.toString("utf8")));
      child.stderr.on("data", (d: Buffer) => (stderr += d.toString("utf8")));
      child.on("close", (code) => resolve({ code, stdout, stderr }));
    });
  }

  /** Every stand-in call so far, in order. */
  invocations(): Invocation[] {
    if (!fs.existsSync(this.callLog)) return [];
    return fs
      .readFileSync(this.callLog, "utf8")
      .split("\n")
      .filter((l) => l !== "")
      .map((line) => {
        const [command, ...args] = line.split("\t").map((f) => Buffer.from(f, "base64").toString("utf8"));
        return { command, args };
      });
  }

  /** Files `kubeadm <sub> --config` was given, copied at the time of the call. */
  capturedConfigs(sub: "init" | "join"): string[] {
    const dir = path.join(this.dir, "captured");
    if (!fs.existsSync(dir)) return [];
    return fs
      .readdirSync(dir)
      .filter((f) => f.startsWith(`${sub}-`))
      .sort()
      .map((f) => fs.readFileSync(path.join(dir, f), "utf8"));
  }

  capturedJoinConfigs(): string[] {
    return this.capturedConfigs("join");
  }

  async stop(): Promise<void> {
    await this.imds.stop();
    await this.aws.stop();
    fs.rmSync(this.dir, { recursive: true, force: true });
  }
}

/** An OpenPGP armor block around `data`: enough for `gpg --dearmor`. */
export function armoredBlock(data: Buffer): string {
  const b64 = data.toString("base64").replace(/(.{64})/g, "$1\n").trimEnd();
  return `-----BEGIN PGP PUBLIC KEY BLOCK-----\n\n${b64}\n=${crc24(data)}\n-----END PGP PUBLIC KEY BLOCK-----\n`;
}

/** The OpenPGP armor checksum (RFC 4880 6.1), base64 of the 24-bit CRC. */
function crc24(data: Buffer): string {
  let crc = 0xb704ce;
  for (const byte of data) {
    crc ^= byte << 16;
    for (let i = 0; i < 8; i++) {
      crc <<= 1;
      if (crc & 0x1000000) crc ^= 0x1864cfb;
    }
  }
  crc &= 0xffffff;
  return Buffer.from([(crc >> 16) & 0xff, (crc >> 8) & 0xff, crc & 0xff]).toString("base64");
}

function writeStandIns(dir: string, callLog: string, captureDir: string): void {
  // One line per call: the command and each argument base64-encoded, tab-separated.
  const record = `{ printf '%s' "$(basename "$0")" | base64 -w0; for a in "$@"; do printf '\\t%s' "$(printf '%s' "$a" | base64 -w0)"; done; printf '\\n'; } >>'${callLog}'`;
  for (const name of STAND_INS) {
    let body = "exit 0";
    if (name === "containerd") {
      body = `if [ "$1 $2" = "config default" ]; then cat <<'EOF'\n${CONTAINERD_DEFAULT_CONFIG}EOF\nfi\nexit 0`;
    } else if (name === "kubeadm") {
      // `kubeadm init` and `kubeadm join` need a node (kubelet, containerd, root): record
      // them and keep the configuration they were given. Everything else is the real kubeadm.
      body = [
        'case "${1:-}" in',
        "  init | join)",
        '    sub="$1"',
        "    shift",
        '    while [ "$#" -gt 0 ]; do',
        '      if [ "$1" = "--config" ]; then',
        `        mkdir -p '${captureDir}'`,
        `        cp "$2" '${captureDir}'"/$sub-$(date +%s%N).yaml"`,
        "      fi",
        "      shift",
        "    done",
        '    if [ "$sub" = init ] && [ -n "${KUBEADM_INIT_FAIL_ONCE:-}" ] && [ ! -e "$KUBEADM_INIT_FAIL_ONCE" ]; then',
        '      touch "$KUBEADM_INIT_FAIL_ONCE"',
        '      mkdir -p "$ROOT_DIR/etc/kubernetes/manifests"',
        '      for f in admin super-admin kubelet controller-manager scheduler; do echo "written by the kubeconfig phase" >"$ROOT_DIR/etc/kubernetes/$f.conf"; done',
        '      for f in etcd kube-apiserver; do echo "kind: Pod" >"$ROOT_DIR/etc/kubernetes/manifests/$f.yaml"; done',
        '      echo "[harness] kubeadm init: error execution phase upload-config/kubeadm: failed after the kubeconfig phase" >&2',
        "      exit 1",
        "    fi",
        '    if [ "$sub" = init ] && [ -n "${KUBEADM_INIT_READY_FILE:-}" ]; then',
        '      touch "$KUBEADM_INIT_READY_FILE.started"',
        "      for _ in $(seq 1 720); do",
        '        [ -e "$KUBEADM_INIT_READY_FILE" ] && break',
        "        sleep 0.25",
        "      done",
        '      [ -e "$KUBEADM_INIT_READY_FILE" ] || { echo "[harness] kubeadm init: the test never started the control plane" >&2; exit 1; }',
        "    fi",
        '    exit "${KUBEADM_EXIT_CODE:-0}"',
        "    ;;",
        "  reset)",
        "    exit 0",
        "    ;;",
        // `kubeadm upgrade` changes static pods on a node: recorded; KUBEADM_UPGRADE_FAIL=plan|apply fails that step.
        "  upgrade)",
        '    [ "${KUBEADM_UPGRADE_FAIL:-}" != "${2:-}" ] || { echo "[harness] kubeadm upgrade $2: failing as asked" >&2; exit 1; }',
        "    exit 0",
        "    ;;",
        "esac",
        'exec "$REAL_KUBEADM" "$@"',
      ].join("\n");
    }
    if (name === "ctr") body = CTR_STAND_IN;
    // `kubectl version -o json` reports the next line of $KUBECTL_SERVER_VERSIONS (the last one
    // from then on), as an API server being upgraded would; other kubectl calls are recorded.
    if (name === "kubectl") {
      body = [
        'if [[ " $* " == *" version -o json "* ]]; then',
        '  f="${KUBECTL_SERVER_VERSIONS:?}"',
        '  v="$(head -n1 "$f")"',
        '  if [ "$(wc -l <"$f")" -gt 1 ]; then sed -i 1d "$f"; fi',
        '  printf \'{"serverVersion":{"gitVersion":"%s"}}\\n\' "$v"',
        "fi",
        "exit 0",
      ].join("\n");
    }
    const file = path.join(dir, name);
    // STAND_IN_FAIL=apt-get,snap: those stand-ins fail, as when a mirror or the snap store is down.
    const failing = `case ",\${STAND_IN_FAIL:-}," in *,${name},*) echo "[harness] ${name}: failing as asked (STAND_IN_FAIL)" >&2; exit 100 ;; esac`;
    fs.writeFileSync(file, `#!/usr/bin/env bash\nset -euo pipefail\n${record}\n${failing}\n${body}\n`, { mode: 0o755 });
  }
}

/**
 * `ctr --namespace k8s.io run --rm [--net-host] --mount type=bind,src=S,dst=D,... IMAGE ID CMD ARGS`
 * runs the real etcdctl/etcdutl with D translated to S in every argument; `ctr image pull` succeeds.
 */
const CTR_STAND_IN = `src=()
dst=()
while [ "$#" -gt 0 ]; do
  case "$1" in
    --namespace) shift 2 ;;
    image) exit 0 ;;
    run | --rm | --net-host) shift ;;
    --mount)
      for part in $(printf '%s' "$2" | tr ',' ' '); do
        case "$part" in
          src=*) src+=("\${part#src=}") ;;
          dst=*) dst+=("\${part#dst=}") ;;
        esac
      done
      shift 2 ;;
    *) break ;;
  esac
done
shift 2 # image and container id
program="$1"
shift
case "$program" in
  etcdctl) real="$REAL_ETCDCTL" ;;
  etcdutl) real="$REAL_ETCDUTL" ;;
  *) echo "[harness] ctr run: no stand-in for $program" >&2; exit 1 ;;
esac
[ -n "$real" ] || { echo "[harness] ctr run: $program was not built (PLATFORM_TOOL_*)" >&2; exit 1; }
args=()
for a in "$@"; do
  for i in "\${!dst[@]}"; do
    if [ "$a" = "\${dst[$i]}" ]; then a="\${src[$i]}"; fi
    a="\${a//\${dst[$i]}\\//\${src[$i]}/}"
  done
  args+=("$a")
done
exec "$real" "\${args[@]}"`;
