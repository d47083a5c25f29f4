/**
 * The worker bootstrap and the control plane's token rotation, run for real with bash
 * against stand-ins: `aws`, `kubeadm` and the node-preparation steps are small scripts
 * that record their arguments, the join secret is a file or the fake `aws`'s answer,
 * and the CA is a real certificate made with openssl. Also the worker cloud-config and
 * the rendered JoinConfiguration as golden files (UPDATE_GOLDEN=1 rewrites them).
 */
import { spawnSync } from "child_process";
import * as crypto from "crypto";
import * as fs from "fs";
import * as os from "os";
import * as path from "path";
import { parse, stringify } from "yaml";
import { decodeUserData, encodeUserData, NODE_BIN_DIR, nodeScript, readBootstrapFile, renderEnvFile, USER_DATA_LIMIT_BYTES } from "../../../../infra/nodes/user-data";
import { MAX_WORKER_JOIN_TIMEOUT_MINUTES } from "../../../../infra/config/node-pools";
import { nodeTaintsArg, renderWorkerUserData, WorkerBootstrapValues, workerBootstrapEnv } from "../../../../infra/nodes/workers";
import { ECR_CREDENTIAL_PROVIDER_VERSION, KUBEADM_API_VERSION, KUBERNETES_VERSION } from "../../../../infra/versions";
import { goldenIn } from "../../support/golden";

const REPO = path.resolve(__dirname, "../../../..");
const BOOTSTRAP = path.join(REPO, "infra/nodes/bootstrap");
const PEM = /-----BEGIN [A-Z ]+-----/;
const BOOTSTRAP_TOKEN = /[a-z0-9]{6}\.[a-z0-9]{16}/;
/** Token-shaped, and unlike anything in the scripts, so a leak is unmistakable. */
const TOKEN = "q7x2kd.z8w4m1p6r3t9v5n0";
const CA_HASH = `sha256:${"ab".repeat(32)}`;
const JOIN_SECRET_ARN = "arn:aws:secretsmanager:us-east-1:123456789012:secret:demo/join-AbCdEf";

const SAMPLE: WorkerBootstrapValues = {
  clusterName: "demo",
  region: "us-east-1",
  kubernetesVersion: KUBERNETES_VERSION,
  joinSecretArn: JOIN_SECRET_ARN,
  joinTimeoutMinutes: 30,
  pool: {
    name: "gpu",
    labels: { "example.com/accelerator": "nvidia", "node.kubernetes.io/pool": "gpu" },
    taints: [
      { key: "nvidia.com/gpu", value: "present", effect: "NoSchedule" },
      { key: "example.com/spot", value: "", effect: "PreferNoSchedule" },
    ],
  },
};

const expectGolden = goldenIn("bootstrap");

const rfc3339 = (msFromNow: number) => new Date(Date.now() + msFromNow).toISOString().replace(/\.\d{3}Z$/, "Z");
const secretJson = (over: Record<string, unknown> = {}) =>
  JSON.stringify({ token: TOKEN, caCertHash: CA_HASH, endpoint: "10.0.0.10:6443", expiresAt: rfc3339(6 * 3600_000), ...over });

/** A scratch root with stand-in commands on PATH that log their arguments to `calls.log`. */
class Sandbox {
  readonly dir = fs.mkdtempSync(path.join(os.tmpdir(), "worker-bootstrap-"));
  readonly bin = path.join(this.dir, "bin");
  readonly steps = path.join(this.dir, "steps");
  readonly log = path.join(this.dir, "calls.log");

  constructor() {
    fs.mkdirSync(this.bin);
    fs.mkdirSync(this.steps);
    fs.mkdirSync(path.join(this.dir, "etc/platform"), { recursive: true });
    fs.writeFileSync(this.log, "");
  }

  file(rel: string, content: string, mode = 0o644): string {
    const p = path.join(this.dir, rel);
    fs.mkdirSync(path.dirname(p), { recursive: true });
    fs.writeFileSync(p, content, { mode });
    return p;
  }

  /** A stand-in command: logs `name args...`, then runs `body` (bash). */
  command(name: string, body = "", dir = this.bin): void {
    fs.writeFileSync(path.join(dir, name), `#!/usr/bin/env bash\necho "${name} $*" >>"${this.log}"\n${body}\n`, { mode: 0o755 });
  }

  calls(): string[] {
    return fs.readFileSync(this.log, "utf8").split("\n").filter(Boolean);
  }

  run(script: string, env: Record<string, string>): { status: number | null; out: string } {
    const r = spawnSync("bash", [path.join(BOOTSTRAP, script)], {
      env: { PATH: `${this.bin}:${process.env.PATH ?? "/usr/bin:/bin"}`, ROOT_DIR: this.dir, ...env },
      encoding: "utf8",
      timeout: 60_000,
    });
    return { status: r.status, out: `${r.stdout}${r.stderr}` };
  }

  cleanup(): void {
    fs.rmSync(this.dir, { recursive: true, force: true });
  }
}

describe("worker user-data", () => {
  const text = renderWorkerUserData(SAMPLE);
  const doc = parse(text) as { write_files: { path: string; content: string; permissions: string }[] };
  const file = (p: string) => doc.write_files.find((f) => f.path === p);

  it("matches the golden file (script bodies elided: they are checked verbatim below and reviewed as files)", () => {
    const elided = {
      ...doc,
      write_files: doc.write_files.map((f) => (f.path.startsWith(`${NODE_BIN_DIR}/`) ? { ...f, content: `<infra/nodes/bootstrap/${path.basename(f.path)}>` } : f)),
    };
    expectGolden("worker.user-data.yaml", `#cloud-config\n${stringify(elided, { lineWidth: 0, blockQuote: "literal" })}`);
  });

  it("installs worker-join.sh as the only step, with node-prepare.sh and ecr-credential-provider.sh verbatim", () => {
    for (const script of ["worker-join", "node-prepare", "ecr-credential-provider", "bootstrap"]) {
      const f = file(`${NODE_BIN_DIR}/${script}.sh`);
      expect(f?.content).toBe(nodeScript(readBootstrapFile(`${script}.sh`)));
      expect(f?.permissions).toBe("0755");
    }
    const env = file("/etc/platform/bootstrap.env")?.content ?? "";
    expect(env).toContain("BOOTSTRAP_STEPS='worker-join'");
    expect(env).toContain(`JOIN_SECRET_ARN='${JOIN_SECRET_ARN}'`);
    expect(env).toContain(`KUBEADM_API_VERSION='${KUBEADM_API_VERSION}'`);
    expect(env).toContain(`ECR_CREDENTIAL_PROVIDER_VERSION='${ECR_CREDENTIAL_PROVIDER_VERSION}'`);
    expect(env).toContain("NODE_LABELS='example.com/accelerator=nvidia,node.kubernetes.io/pool=gpu'");
    expect(env).toContain("NODE_TAINTS='nvidia.com/gpu=present:NoSchedule,example.com/spot=:PreferNoSchedule'");
    expect(env).toContain("WORKER_JOIN_TIMEOUT_MINUTES='30'");
  });

  it("carries no PEM block, no token-shaped string and no key material", () => {
    expect(text).not.toMatch(PEM);
    expect(text).not.toMatch(BOOTSTRAP_TOKEN);
    expect(text).not.toMatch(/PRIVATE KEY|client-key-data|"token"\s*:\s*"[a-z0-9]/);
  });

  it("fits EC2's 16 KiB limit once gzipped", () => {
    const encoded = encodeUserData(text);
    expect(Buffer.from(encoded, "base64").length).toBeLessThanOrEqual(USER_DATA_LIMIT_BYTES);
    expect(decodeUserData(encoded)).toBe(text);
  });

  it("gives the longest allowed join wait room inside the bootstrap unit's start timeout", () => {
    // systemd must not kill worker-join.sh before it can mark the instance unhealthy.
    const unit = readBootstrapFile("platform-bootstrap.service");
    const minutes = Number(/^TimeoutStartSec=(\d+)min$/m.exec(unit)?.[1]);
    expect(minutes).toBeGreaterThanOrEqual(MAX_WORKER_JOIN_TIMEOUT_MINUTES + 5);
  });

  it("encodes taints with empty values so the script can split them again", () => {
    expect(nodeTaintsArg([{ key: "a", value: "", effect: "NoExecute" }])).toBe("a=:NoExecute");
  });
});

describe("worker-join.sh", () => {
  let box: Sandbox;
  beforeEach(() => {
    box = new Sandbox();
    box.file("etc/platform/bootstrap.env", renderEnvFile(workerBootstrapEnv(SAMPLE), "test"));
    // Stand-ins for the steps worker-join.sh runs first: node-prepare writes node.env as the real one does.
    box.command(
      "node-prepare.sh",
      `printf "NODE_NAME='ip-10-0-1-5.ec2.internal'\\nNODE_IP='10.0.1.5'\\nINSTANCE_ID='i-0123456789abcdef0'\\n" >"${box.dir}/etc/platform/node.env"`,
      box.steps,
    );
    box.command("ecr-credential-provider.sh", "", box.steps);
  });
  afterEach(() => box.cleanup());

  const common = () => ({ PLATFORM_BIN: box.steps, JOIN_POLL_FIRST_DELAY_SECONDS: "1", JOIN_POLL_MAX_DELAY_SECONDS: "1" });

  it("renders the JoinConfiguration (RENDER_ONLY) with mode 0600, matching the golden file", () => {
    const secret = box.file("secret.json", secretJson());
    const r = box.run("worker-join.sh", {
      RENDER_ONLY: "1",
      JOIN_SECRET_FILE: secret,
      NODE_NAME: "ip-10-0-1-5.ec2.internal",
      NODE_IP: "10.0.1.5",
    });
    expect(r.status).toBe(0);
    const out = path.join(box.dir, "etc/kubernetes/kubeadm-join.yaml");
    expect(fs.statSync(out).mode & 0o777).toBe(0o600);
    const rendered = fs.readFileSync(out, "utf8");
    // The token is the only value that differs between runs of the real system; the golden file carries the fixture's.
    expectGolden("kubeadm-join.yaml", rendered);
    const cfg = parse(rendered);
    expect(cfg).toMatchObject({
      apiVersion: KUBEADM_API_VERSION,
      kind: "JoinConfiguration",
      discovery: { bootstrapToken: { apiServerEndpoint: "10.0.0.10:6443", token: TOKEN, caCertHashes: [CA_HASH] } },
      nodeRegistration: { name: "ip-10-0-1-5.ec2.internal" },
    });
    const args = Object.fromEntries(cfg.nodeRegistration.kubeletExtraArgs.map((a: { name: string; value: string }) => [a.name, a.value]));
    expect(args).toMatchObject({
      "cloud-provider": "external",
      "node-ip": "10.0.1.5",
      "node-labels": "example.com/accelerator=nvidia,node.kubernetes.io/pool=gpu",
      "image-credential-provider-config": "/etc/kubernetes/credential-providers.yaml",
      "image-credential-provider-bin-dir": "/usr/local/libexec/kubelet-credential-providers",
    });
    expect(cfg.nodeRegistration.taints).toEqual([
      { key: "nvidia.com/gpu", value: "present", effect: "NoSchedule" },
      { key: "example.com/spot", value: "", effect: "PreferNoSchedule" },
    ]);
    expect(r.out).not.toContain(TOKEN);
  });

  it("prepares the node, reads the secret with the instance role, joins with the rendered config, then removes it", () => {
    box.command("aws", `[[ "$1 $2" == "secretsmanager get-secret-value" ]] && echo '${secretJson()}'`);
    box.command("kubeadm", `cp "$3" "${box.dir}/seen-config.yaml"`);
    const r = box.run("worker-join.sh", common());
    expect(r.status).toBe(0);
    const calls = box.calls();
    expect(calls[0]).toBe("node-prepare.sh ");
    expect(calls[1]).toBe("ecr-credential-provider.sh ");
    expect(calls[2]).toBe(`aws secretsmanager get-secret-value --region us-east-1 --secret-id ${JOIN_SECRET_ARN} --query SecretString --output text`);
    expect(calls[3]).toMatch(/^kubeadm join --config .*\/etc\/kubernetes\/kubeadm-join\.yaml$/);
    expect(fs.readFileSync(path.join(box.dir, "seen-config.yaml"), "utf8")).toContain(`token: "${TOKEN}"`);
    expect(fs.existsSync(path.join(box.dir, "etc/kubernetes/kubeadm-join.yaml"))).toBe(false);
    expect(r.out).not.toContain(TOKEN);
    expect(calls.join("\n")).not.toContain(TOKEN); // never on a command line
  });

  it("waits while the secret is empty, then joins once a token appears", () => {
    // The first two reads fail as Secrets Manager does before the first version exists.
    box.command(
      "aws",
      `n=$(cat "${box.dir}/reads" 2>/dev/null || echo 0); echo $((n+1)) >"${box.dir}/reads"
if ((n < 2)); then echo "An error occurred (ResourceNotFoundException): can't find the specified secret value for staging label: AWSCURRENT" >&2; exit 254; fi
echo '${secretJson()}'`,
    );
    box.command("kubeadm");
    const r = box.run("worker-join.sh", common());
    expect(r.status).toBe(0);
    expect(r.out).toMatch(/ResourceNotFoundException.*retrying in 1s/);
    expect(box.calls().filter((c) => c.startsWith("aws secretsmanager"))).toHaveLength(3);
    expect(box.calls().some((c) => c.startsWith("kubeadm join"))).toBe(true);
  });

  /** The boot as platform-bootstrap.service runs it: bootstrap.sh with worker-join.sh as the step. */
  const boot = (env: Record<string, string> = {}) => {
    fs.copyFileSync(path.join(BOOTSTRAP, "worker-join.sh"), path.join(box.steps, "worker-join.sh"));
    fs.chmodSync(path.join(box.steps, "worker-join.sh"), 0o755);
    box.command("systemctl");
    // renderNodeUserData adds the step list to the pool's env file.
    fs.appendFileSync(path.join(box.dir, "etc/platform/bootstrap.env"), "BOOTSTRAP_STEPS='worker-join'\n");
    return box.run("bootstrap.sh", { ...common(), IMDS_ENDPOINT: "http://127.0.0.1:9", ...env });
  };
  const HAND_BACK = [
    "aws autoscaling set-instance-health --region us-east-1 --instance-id i-0123456789abcdef0 --health-status Unhealthy --no-should-respect-grace-period",
    "systemctl poweroff --no-block",
  ];

  it("does not use a token about to expire, gives up at the timeout and hands the instance back", () => {
    box.command("aws", `[[ "$1 $2" == "secretsmanager get-secret-value" ]] && echo '${secretJson({ expiresAt: rfc3339(120_000) })}'; true`);
    box.command("kubeadm");
    const r = boot({ JOIN_TIMEOUT_SECONDS: "2" });
    expect(r.status).toBe(1);
    expect(r.out).toContain("too soon to join with");
    expect(r.out).toMatch(/no valid join token in .* after 2s/);
    const calls = box.calls();
    expect(calls.slice(-2)).toEqual(HAND_BACK);
    expect(calls.some((c) => c.startsWith("kubeadm"))).toBe(false);
    expect(r.out).not.toContain(TOKEN);
  });

  it("hands the instance back when kubeadm join fails", () => {
    box.command("aws", `[[ "$1 $2" == "secretsmanager get-secret-value" ]] && echo '${secretJson()}'; true`);
    box.command("kubeadm", "exit 1");
    const r = boot();
    expect(r.status).toBe(1);
    expect(r.out).toMatch(/ERROR: step worker-join failed \(exit 1; its log lines are above\); handing instance i-0123456789abcdef0 back/);
    expect(box.calls().slice(-2)).toEqual(HAND_BACK);
  });

  // Every step of the worker's boot, failing in turn: each ends in the replacement action.
  it.each([
    // node-prepare.sh reads the identity first, then installs packages: the package step fails.
    ["node preparation (package installation)", "node-prepare.sh", `printf "INSTANCE_ID='i-0123456789abcdef0'\\n" >"$ROOT_DIR/etc/platform/node.env"; exit 100`],
    ["the ECR credential provider download", "ecr-credential-provider.sh", "exit 1"],
  ])("hands the instance back when %s fails, with a log line first", (_what, step, body) => {
    box.command("aws", "true");
    box.command("kubeadm");
    box.command(step, body, box.steps);
    const r = boot();
    expect(r.status).toBe(1);
    expect(r.out).toMatch(/bootstrap: ERROR: step worker-join failed .*handing instance i-0123456789abcdef0 back to its autoscaling group/);
    expect(box.calls().some((c) => c.startsWith("kubeadm"))).toBe(false);
    expect(box.calls()).toContain("systemctl poweroff --no-block");
  });

  it("powers off even when it knows neither its instance id nor an AWS CLI (failure before node-prepare.sh wrote node.env)", () => {
    box.command("node-prepare.sh", "exit 1", box.steps);
    const r = boot();
    expect(r.status).toBe(1);
    expect(r.out).toMatch(/handing instance <unknown id> back/);
    expect(box.calls()).toEqual(["node-prepare.sh ", "systemctl poweroff --no-block"]);
  });

  it("stops a step that hangs at the bootstrap deadline and hands the instance back", () => {
    box.command("aws", "true");
    box.command("node-prepare.sh", "sleep 30", box.steps);
    const started = Date.now();
    const r = boot({ BOOTSTRAP_TIMEOUT_SECONDS: "2" });
    expect(Date.now() - started).toBeLessThan(20_000);
    expect(r.status).toBe(1);
    expect(r.out).toMatch(/step worker-join did not finish within the bootstrap deadline/);
    expect(box.calls()).toContain("systemctl poweroff --no-block");
  });

  it("on the control plane (no BOOTSTRAP_ON_FAILURE) a failed step only fails the unit, for systemd to retry", () => {
    box.file("etc/platform/bootstrap.env", "BOOTSTRAP_STEPS='node-prepare'\n");
    box.command("node-prepare.sh", "exit 3", box.steps);
    box.command("systemctl");
    const r = box.run("bootstrap.sh", { PLATFORM_BIN: box.steps });
    expect(r.status).toBe(1);
    expect(r.out).toMatch(/step node-prepare failed \(exit 3.*platform-bootstrap.service retries/);
    expect(box.calls()).toEqual(["node-prepare.sh "]);
  });

  it("changes nothing on a node that has joined", () => {
    box.file("etc/kubernetes/kubelet.conf", "already joined");
    box.command("aws");
    box.command("kubeadm");
    const r = box.run("worker-join.sh", common());
    expect(r.status).toBe(0);
    expect(r.out).toContain("nothing to do");
    expect(box.calls()).toEqual([]);
  });

  it.each([
    ["no token", { token: undefined }],
    ["a malformed token", { token: "not-a-token" }],
    ["a malformed CA hash", { caCertHash: "md5:abc" }],
    ["a malformed expiry", { expiresAt: "tomorrow" }],
    ["an expired token", { expiresAt: rfc3339(-60_000) }],
  ])("refuses a secret with %s", (_label, over) => {
    const secret = box.file("secret.json", secretJson(over));
    const r = box.run("worker-join.sh", {
      RENDER_ONLY: "1",
      JOIN_SECRET_FILE: secret,
      JOIN_TIMEOUT_SECONDS: "0",
      NODE_NAME: "ip-10-0-1-5.ec2.internal",
      NODE_IP: "10.0.1.5",
    });
    expect(r.status).toBe(1);
    expect(fs.existsSync(path.join(box.dir, "etc/kubernetes/kubeadm-join.yaml"))).toBe(false);
  });
});

describe("join-token-rotate.sh", () => {
  let box: Sandbox;
  let expectedHash: string;
  beforeEach(() => {
    box = new Sandbox();
    box.file(
      "etc/platform/bootstrap.env",
      renderEnvFile(
        {
          AWS_REGION: "us-east-1",
          JOIN_SECRET_ARN,
          CONTROL_PLANE_ENDPOINT_IP: "10.0.0.10",
          API_SERVER_PORT: 6443,
          JOIN_TOKEN_TTL_HOURS: 24,
          JOIN_TOKEN_ROTATION_HOURS: 6,
        },
        "test",
      ),
    );
    box.file("etc/kubernetes/admin.conf", "kubeconfig");
    const pki = path.join(box.dir, "etc/kubernetes/pki");
    fs.mkdirSync(pki, { recursive: true });
    const made = spawnSync(
      "openssl",
      ["req", "-x509", "-newkey", "ec", "-pkeyopt", "ec_paramgen_curve:P-256", "-nodes", "-keyout", path.join(box.dir, "ca.key"), "-out", path.join(pki, "ca.crt"), "-subj", "/CN=kubernetes", "-days", "1"],
      { encoding: "utf8" },
    );
    if (made.status !== 0) throw new Error(`openssl could not make a test CA: ${made.stderr}`);
    // What kubeadm pins: SHA-256 over the CA's DER SubjectPublicKeyInfo, computed independently of the script.
    const cert = new crypto.X509Certificate(fs.readFileSync(path.join(pki, "ca.crt")));
    expectedHash = crypto.createHash("sha256").update(cert.publicKey.export({ type: "spki", format: "der" })).digest("hex");
    box.command("kubeadm", `echo ${TOKEN}`);
  });
  afterEach(() => box.cleanup());

  /** A fake `aws` that fails the first `failures` writes and keeps what the last write sent. */
  function fakeAws(failures: number): void {
    box.file("failures", String(failures));
    box.command(
      "aws",
      `for a in "$@"; do [[ "$a" == file://* ]] && cp "\${a#file://}" "${box.dir}/written.json"; done
n=$(cat "${box.dir}/failures"); if ((n > 0)); then echo $((n-1)) >"${box.dir}/failures"; echo "An error occurred (ThrottlingException): Rate exceeded" >&2; exit 254; fi
echo v1`,
    );
  }

  it("writes {token, caCertHash, endpoint, expiresAt} through a file, never on a command line or in the log", () => {
    fakeAws(0);
    const r = box.run("join-token-rotate.sh", {});
    expect(r.status).toBe(0);
    const written = JSON.parse(fs.readFileSync(path.join(box.dir, "written.json"), "utf8"));
    expect(written.token).toBe(TOKEN);
    expect(written.caCertHash).toBe(`sha256:${expectedHash}`);
    expect(written.endpoint).toBe("10.0.0.10:6443");
    const expires = Date.parse(written.expiresAt);
    expect(written.expiresAt).toMatch(/^\d{4}-\d\d-\d\dT\d\d:\d\d:\d\dZ$/);
    expect(Math.abs(expires - (Date.now() + 24 * 3600_000))).toBeLessThan(120_000);
    const calls = box.calls();
    expect(calls[0]).toMatch(/^kubeadm token create --kubeconfig .*admin\.conf --ttl 24h0m0s /);
    expect(calls[1]).toMatch(new RegExp(`^aws secretsmanager put-secret-value --region us-east-1 --secret-id ${JOIN_SECRET_ARN} --secret-string file://`));
    expect(calls.join("\n")).not.toContain(TOKEN);
    expect(r.out).not.toContain(TOKEN);
  });

  it("retries a failed write with backoff, logging the error without the token", () => {
    fakeAws(2);
    const r = box.run("join-token-rotate.sh", { PUT_FIRST_DELAY_SECONDS: "0" });
    expect(r.status).toBe(0);
    expect(box.calls().filter((c) => c.startsWith("aws secretsmanager put-secret-value"))).toHaveLength(3);
    expect(r.out).toMatch(/failed \(attempt 1 of 6\): An error occurred \(ThrottlingException\)/);
    expect(r.out).not.toContain(TOKEN);
  });

  it("fails after the last attempt, so systemd retries the run", () => {
    fakeAws(10);
    const r = box.run("join-token-rotate.sh", { PUT_FIRST_DELAY_SECONDS: "0", PUT_ATTEMPTS: "3" });
    expect(r.status).toBe(1);
    expect(r.out).toContain("gave up writing the join secret");
    expect(fs.existsSync(path.join(box.dir, "var/lib/platform/join-token.state"))).toBe(false);
  });

  it("writes again only when a rotation is due (or forced)", () => {
    fakeAws(0);
    expect(box.run("join-token-rotate.sh", {}).status).toBe(0);
    const second = box.run("join-token-rotate.sh", {});
    expect(second.status).toBe(0);
    expect(second.out).toContain("not due for rotation");
    expect(box.calls().filter((c) => c.startsWith("kubeadm"))).toHaveLength(1);
    // Seven hours later, a fresh token is due.
    box.file("var/lib/platform/join-token.state", `WRITTEN_AT_EPOCH=${Math.floor(Date.now() / 1000) - 7 * 3600}\n`);
    expect(box.run("join-token-rotate.sh", {}).status).toBe(0);
    expect(box.run("join-token-rotate.sh", { ROTATE_FORCE: "1" }).status).toBe(0);
    expect(box.calls().filter((c) => c.startsWith("kubeadm"))).toHaveLength(3);
  });

  it("does not trace the token even under bash -x", () => {
    fakeAws(0);
    const r = spawnSync("bash", ["-x", path.join(BOOTSTRAP, "join-token-rotate.sh")], {
      env: { PATH: `${box.bin}:${process.env.PATH}`, ROOT_DIR: box.dir },
      encoding: "utf8",
    });
    expect(r.status).toBe(0);
    expect(`${r.stdout}${r.stderr}`).not.toContain(TOKEN);
  });

  it("refuses a rotation interval that is not below the TTL", () => {
    fakeAws(0);
    const env = fs.readFileSync(path.join(box.dir, "etc/platform/bootstrap.env"), "utf8").replace("JOIN_TOKEN_ROTATION_HOURS='6'", "JOIN_TOKEN_ROTATION_HOURS='24'");
    box.file("etc/platform/bootstrap.env", env);
    const r = box.run("join-token-rotate.sh", {});
    expect(r.status).toBe(1);
    expect(r.out).toContain("JOIN_TOKEN_ROTATION_HOURS");
  });
});

describe("rotation units", () => {
  it("tick hourly and run the installed script once the control plane is initialised", () => {
    const service = readBootstrapFile("join-token-rotate.service");
    const timer = readBootstrapFile("join-token-rotate.timer");
    expect(service).toMatch(/^ExecStart=\/opt\/platform\/bin\/join-token-rotate\.sh$/m);
    expect(service).toMatch(/^ConditionPathExists=\/etc\/kubernetes\/admin\.conf$/m);
    expect(service).toMatch(/^Restart=on-failure$/m);
    expect(timer).toMatch(/^OnUnitActiveSec=1h$/m);
    expect(timer).toMatch(/^WantedBy=timers\.target$/m);
  });
});
