/**
 * The worker join and the control plane's token rotation, executed: the real scripts
 * of infra/nodes/bootstrap with the real AWS CLI against moto, a fake IMDSv2, the real
 * kubeadm (against a real API server for `kubeadm token create`), and stand-ins only
 * for `kubeadm join`, systemd, apt and the other node-changing commands.
 * See bootstrap-harness.ts.
 */
import * as crypto from "node:crypto";
import * as fs from "node:fs";
import * as os from "node:os";
import * as path from "node:path";
import { spawnSync } from "node:child_process";
import { ControlPlaneBootstrapValues, renderControlPlaneUserData } from "../../infra/nodes/control-plane";
import { renderWorkerUserData } from "../../infra/nodes/workers";
import { TestApiServer } from "./apiserver";
import { BootstrapHarness, DEFAULT_IDENTITY, RunResult } from "./bootstrap-harness";
import { caCertHash, makeTestCa } from "./pki";
import { tool } from "./tool-paths";
import { KUBERNETES_VERSION } from "../../infra/versions";

jest.setTimeout(240_000);

const REGION = "eu-west-1";
const TOKEN_FORMAT = /^[a-z0-9]{6}\.[a-z0-9]{16}$/;

function rfc3339(msFromNow: number): string {
  return new Date(Date.now() + msFromNow).toISOString().replace(/\.\d{3}Z$/, "Z");
}

function randomBootstrapToken(): string {
  const chars = "abcdefghijklmnopqrstuvwxyz0123456789";
  const pick = (n: number) => Array.from({ length: n }, () => chars[Math.floor(Math.random() * chars.length)]).join("");
  return `${pick(6)}.${pick(16)}`;
}

/** A cluster CA and the join secret value the control plane would write for it. */
function joinData(token: string, expiresAt: string): { json: string; caCertHash: string } {
  const dir = fs.mkdtempSync(path.join(os.tmpdir(), "join-ca-"));
  const ca = makeTestCa(dir, "cluster-ca");
  const hash = caCertHash(fs.readFileSync(ca.caCert, "utf8"));
  fs.rmSync(dir, { recursive: true, force: true });
  return { json: JSON.stringify({ token, caCertHash: hash, endpoint: "10.0.0.10:6443", expiresAt }), caCertHash: hash };
}

async function createSecret(h: BootstrapHarness, name: string): Promise<string> {
  // Like the Pulumi program: the secret exists from the start, without a value.
  const r = await h.awsCli(["secretsmanager", "create-secret", "--region", REGION, "--name", name, "--query", "ARN", "--output", "text"]);
  expect(r).toEqual(expect.objectContaining({ code: 0 }));
  return r.stdout.trim();
}

async function putSecret(h: BootstrapHarness, arn: string, value: string): Promise<void> {
  const file = path.join(h.dir, "secret-value.json");
  fs.writeFileSync(file, value, { mode: 0o600 });
  const r = await h.awsCli(["secretsmanager", "put-secret-value", "--region", REGION, "--secret-id", arn, "--secret-string", `file://${file}`]);
  expect(r).toEqual(expect.objectContaining({ code: 0 }));
}

/** The cluster's (empty) backup bucket, as the Pulumi program creates it. */
async function createBucket(h: BootstrapHarness, name = "test-etcd-backups"): Promise<void> {
  const r = await h.awsCli(["s3api", "create-bucket", "--region", REGION, "--bucket", name, "--create-bucket-configuration", `LocationConstraint=${REGION}`]);
  expect(r).toEqual(expect.objectContaining({ code: 0 }));
}

/** Installs a worker's real user-data (env file, scripts, units) as cloud-init would. */
function workerUserData(h: BootstrapHarness, joinSecretArn: string): void {
  h.installUserData(
    renderWorkerUserData({
      clusterName: "test",
      region: REGION,
      kubernetesVersion: KUBERNETES_VERSION,
      joinSecretArn,
      joinTimeoutMinutes: 10,
      pool: {
        name: "general",
        labels: { "platform.example.com/pool": "general" },
        taints: [{ key: "platform.example.com/dedicated", value: "batch", effect: "NoSchedule" }],
      },
    }),
  );
}

const CONTROL_PLANE_IP = "10.0.0.10";
/** The Secrets encryption key the Pulumi program adds to the PKI secret (infra/aws/encryption.ts). */
const ENCRYPTION_KEY = crypto.randomBytes(32).toString("base64");

function controlPlaneValues(pkiSecretArn: string, joinSecretArn: string): ControlPlaneBootstrapValues {
  return {
    clusterName: "test",
    region: REGION,
    kubernetesVersion: KUBERNETES_VERSION,
    endpointIp: CONTROL_PLANE_IP,
    certSans: [CONTROL_PLANE_IP, "203.0.113.10", "localhost"],
    podCidr: "192.168.0.0/16",
    serviceCidr: "10.96.0.0/12",
    pkiSecretArn,
    joinSecretArn,
    serviceAccountIssuerUrl: "https://test-oidc-1.s3.us-east-1.amazonaws.com",
    backupBucket: "test-etcd-backups",
    kmsKeyArn: `arn:aws:kms:${REGION}:123456789012:key/00000000-0000-0000-0000-000000000000`,
    backupIntervalMinutes: 60,
    backupKeep: 168,
    joinTokenTtlHours: 24,
    joinTokenRotationHours: 8,
    vpcCidr: "10.0.0.0/16",
  };
}

/** Makes the fake IMDS answer as an instance of a moto autoscaling group; returns its id. */
async function asgInstance(h: BootstrapHarness): Promise<string> {
  for (const args of [
    ["autoscaling", "create-launch-configuration", "--launch-configuration-name", "lc", "--image-id", "ami-12c6146b", "--instance-type", "t3.micro"],
    ["autoscaling", "create-auto-scaling-group", "--auto-scaling-group-name", "workers", "--launch-configuration-name", "lc",
      "--min-size", "1", "--max-size", "1", "--desired-capacity", "1", "--availability-zones", `${REGION}a`],
  ]) {
    expect(await h.awsCli([...args, "--region", REGION])).toEqual(expect.objectContaining({ code: 0 }));
  }
  const described = await h.awsCli(["autoscaling", "describe-auto-scaling-instances", "--region", REGION, "--query", "AutoScalingInstances[0].InstanceId", "--output", "text"]);
  const instanceId = described.stdout.trim();
  expect(instanceId).toMatch(/^i-[0-9a-f]+$/);
  h.imds.identity.instanceId = instanceId;
  return instanceId;
}

async function asgHealth(h: BootstrapHarness, instanceId: string): Promise<string> {
  const health = await h.awsCli(["autoscaling", "describe-auto-scaling-instances", "--region", REGION, "--instance-ids", instanceId, "--query", "AutoScalingInstances[0].HealthStatus", "--output", "text"]);
  return health.stdout.trim().toUpperCase();
}

/** Fast polling and a short deadline so a test need not wait minutes. */
const FAST_POLL = { JOIN_POLL_FIRST_DELAY_SECONDS: "1", JOIN_POLL_MAX_DELAY_SECONDS: "2" };

function expectNoSecretIn(result: RunResult, ...secrets: string[]): void {
  for (const s of secrets) {
    expect(result.output.includes(s)).toBe(false);
    // The token's secret half alone is as good as the token.
    const secretHalf = s.split(".")[1];
    if (secretHalf) expect(result.output.includes(secretHalf)).toBe(false);
  }
}

function validateKubeadmConfig(h: BootstrapHarness, text: string): { code: number | null; out: string } {
  const file = path.join(h.dir, `captured-${Date.now()}.yaml`);
  fs.writeFileSync(file, text, { mode: 0o600 });
  const r = spawnSync(tool("KUBEADM"), ["config", "validate", "--config", file], { encoding: "utf8" });
  return { code: r.status, out: `${r.stdout}${r.stderr}` };
}

describe("worker boot (user-data, bootstrap.sh, worker-join.sh with node-prepare.sh)", () => {
  let h: BootstrapHarness;
  afterEach(async () => {
    await h?.stop();
  });

  test("waits for the join secret to be written, then joins with it", async () => {
    h = await BootstrapHarness.start();
    const arn = await createSecret(h, "test/join");
    workerUserData(h, arn);
    const token = randomBootstrapToken();
    const data = joinData(token, rfc3339(12 * 3600_000));

    const running = h.run("bootstrap.sh", { ...FAST_POLL, JOIN_TIMEOUT_SECONDS: "90" });
    // The control plane writes the token only after the worker has found the secret empty twice.
    const deadline = Date.now() + 90_000;
    while (h.aws.calls.filter((c) => c.action === "GetSecretValue").length < 2 && Date.now() < deadline) {
      await new Promise((r) => setTimeout(r, 200));
    }
    await putSecret(h, arn, data.json);
    const result = await running;

    expect(result).toEqual(expect.objectContaining({ code: 0 }));
    expect(result.output).toMatch(/join token not usable yet \(attempt 1\)/);
    expect(result.output).toMatch(/join token not usable yet \(attempt 2\)/);
    expect(result.output).toMatch(/found a join token valid until/);
    expectNoSecretIn(result, token);

    const gets = h.aws.calls.filter((c) => c.action === "GetSecretValue");
    expect(gets.length).toBeGreaterThanOrEqual(2);
    expect(gets.every((c) => c.host === `secretsmanager.${REGION}.amazonaws.com`)).toBe(true);
    expect(h.aws.refused).toEqual([]);

    // Node identity from IMDSv2: every metadata read carried a session token.
    expect(h.imds.requests.filter((r) => r.status === 401)).toEqual([]);
    expect(h.invocations()).toContainEqual({ command: "hostnamectl", args: ["set-hostname", DEFAULT_IDENTITY.localHostname] });

    const joins = h.invocations().filter((i) => i.command === "kubeadm" && i.args[0] === "join");
    expect(joins).toHaveLength(1);
    const [config] = h.capturedJoinConfigs();
    expect(config).toContain(`token: "${token}"`);
    expect(config).toContain(`- "${data.caCertHash}"`);
    expect(config).toContain(`name: "${DEFAULT_IDENTITY.localHostname}"`);
    expect(validateKubeadmConfig(h, config)).toEqual({ code: 0, out: expect.stringMatching(/ok/) });
    // The configuration holding the token is gone once kubeadm has used it.
    expect(fs.existsSync(path.join(h.root, "etc", "kubernetes", "kubeadm-join.yaml"))).toBe(false);
  });

  test("keeps waiting while the secret holds an expired token, then gives up, marks the instance Unhealthy and fails", async () => {
    h = await BootstrapHarness.start();
    // An autoscaling group whose instance this node is, so set-instance-health has a target.
    const instanceId = await asgInstance(h);

    const arn = await createSecret(h, "test/join");
    workerUserData(h, arn);
    const token = randomBootstrapToken();
    await putSecret(h, arn, joinData(token, rfc3339(-3600_000)).json);

    const result = await h.run("bootstrap.sh", { ...FAST_POLL, JOIN_TIMEOUT_SECONDS: "20" });

    expect(result.code).not.toBe(0);
    expect(result.output).toMatch(/too soon to join with; waiting for the next rotation/);
    expect(result.output).toMatch(/ERROR: no valid join token in .* after 20s \(last check: the token in the secret expires at/);
    expect(result.output).toMatch(new RegExp(`marking instance ${instanceId} Unhealthy`));
    expect(h.aws.calls.filter((c) => c.action === "GetSecretValue").length).toBeGreaterThanOrEqual(2);
    expect(h.invocations().filter((i) => i.command === "kubeadm" && i.args[0] === "join")).toEqual([]);
    expectNoSecretIn(result, token);

    const health = await h.awsCli(["autoscaling", "describe-auto-scaling-instances", "--region", REGION, "--instance-ids", instanceId, "--query", "AutoScalingInstances[0].HealthStatus", "--output", "text"]);
    expect(health.stdout.trim().toUpperCase()).toBe("UNHEALTHY");
    // And it powers off: the launch template terminates it on shutdown.
    expect(h.invocations()).toContainEqual({ command: "systemctl", args: ["poweroff", "--no-block"] });
  });

  // Each step of the worker's boot failing in turn, with the real scripts: every one ends
  // with the instance marked Unhealthy in its group and powered off, never InService.
  const FAILURES: [string, (h: BootstrapHarness) => Record<string, string>, RegExp][] = [
    ["the Ubuntu archive / pkgs.k8s.io (apt-get)", () => ({ STAND_IN_FAIL: "apt-get" }), /node-prepare: ERROR: apt-get update failed/],
    ["the pkgs.k8s.io signing key download", (h) => ({ K8S_APT_REPO_BASE: `${h.imds.url}/missing` }), /could not download the pkgs.k8s.io signing key/],
    ["containerd's configuration", () => ({ STAND_IN_FAIL: "containerd" }), /containerd could not print its default configuration/],
    ["the ECR credential provider download", (h) => ({ ECR_PROVIDER_BASE_URL: `${h.imds.url}/missing` }), /could not download .*ecr-credential-provider-linux-amd64$/m],
    ["kubeadm join", () => ({ KUBEADM_EXIT_CODE: "1" }), /worker-join: ERROR: kubeadm join failed/],
  ];
  test.each(FAILURES)("when %s fails, the instance goes back to its group for a replacement", async (_what, env, cause) => {
    h = await BootstrapHarness.start();
    const instanceId = await asgInstance(h);
    const arn = await createSecret(h, "test/join");
    workerUserData(h, arn);
    await putSecret(h, arn, joinData(randomBootstrapToken(), rfc3339(12 * 3600_000)).json);

    const result = await h.run("bootstrap.sh", { ...FAST_POLL, JOIN_TIMEOUT_SECONDS: "30", NETWORK_ATTEMPTS: "2", NETWORK_FIRST_DELAY_SECONDS: "0", ...env(h) });

    expect(result.code).not.toBe(0);
    expect(result.output).toMatch(cause);
    expect(result.output).toMatch(new RegExp(`bootstrap: ERROR: step worker-join failed .*; handing instance ${instanceId} back to its autoscaling group`));
    expect(await asgHealth(h, instanceId)).toBe("UNHEALTHY");
    const calls = h.invocations();
    expect(calls[calls.length - 1]).toEqual({ command: "systemctl", args: ["poweroff", "--no-block"] });
  });

  test("copes with an instance metadata service that fails at first and answers slowly", async () => {
    h = await BootstrapHarness.start({ imds: { failFirst: 3, delayMs: 1500 } });
    const arn = await createSecret(h, "test/join");
    workerUserData(h, arn);
    const token = randomBootstrapToken();
    await putSecret(h, arn, joinData(token, rfc3339(12 * 3600_000)).json);

    const result = await h.run("bootstrap.sh", { ...FAST_POLL, JOIN_TIMEOUT_SECONDS: "60" });

    expect(result).toEqual(expect.objectContaining({ code: 0 }));
    expect(h.imds.requests.slice(0, 3).map((r) => r.status)).toEqual([503, 503, 503]);
    expect(fs.readFileSync(path.join(h.root, "etc", "platform", "node.env"), "utf8")).toContain(
      `NODE_NAME='${DEFAULT_IDENTITY.localHostname}'`,
    );
    expect(h.capturedJoinConfigs()).toHaveLength(1);
    expectNoSecretIn(result, token);
  });
});

describe("join-token-rotate.sh", () => {
  let h: BootstrapHarness;
  let server: TestApiServer;
  beforeAll(async () => {
    server = await TestApiServer.start();
    await server.client.discover();
  });
  afterAll(async () => {
    await server?.stop();
  });
  afterEach(async () => {
    await h?.stop();
  });

  test("writes a token kubeadm created in the cluster and the cluster CA's hash; a worker joins with it", async () => {
    h = await BootstrapHarness.start();
    const arn = await createSecret(h, "test/join");
    const kube = path.join(h.root, "etc", "kubernetes");
    fs.mkdirSync(path.join(kube, "pki"), { recursive: true });
    fs.writeFileSync(path.join(kube, "admin.conf"), server.kubeconfig(), { mode: 0o600 });
    fs.writeFileSync(path.join(kube, "pki", "ca.crt"), server.caCertPem);
    // The control plane's real user-data: env file, scripts and units as cloud-init writes them.
    h.installUserData(renderControlPlaneUserData(controlPlaneValues(arn.replace("join", "pki"), arn)));

    const before = Date.now();
    const result = await h.run("join-token-rotate.sh", { PUT_FIRST_DELAY_SECONDS: "1" });
    expect(result).toEqual(expect.objectContaining({ code: 0 }));

    const got = await h.awsCli(["secretsmanager", "get-secret-value", "--region", REGION, "--secret-id", arn, "--query", "SecretString", "--output", "text"]);
    const secret = JSON.parse(got.stdout) as { token: string; caCertHash: string; endpoint: string; expiresAt: string };
    expect(secret.token).toMatch(TOKEN_FORMAT);
    expect(secret.caCertHash).toBe(caCertHash(server.caCertPem));
    expect(secret.endpoint).toBe("10.0.0.10:6443");
    const expires = Date.parse(secret.expiresAt);
    expect(expires).toBeGreaterThanOrEqual(before + 24 * 3600_000 - 5000);
    expect(expires).toBeLessThanOrEqual(Date.now() + 24 * 3600_000);
    expectNoSecretIn(result, secret.token);

    // The real kubeadm stored it as a bootstrap token in the cluster, usable for joining.
    const [id, tokenSecret] = secret.token.split(".");
    const stored = await server.client.get("v1", "Secret", `bootstrap-token-${id}`, "kube-system");
    const data = (stored?.data ?? {}) as Record<string, string>;
    const decode = (k: string) => Buffer.from(data[k] ?? "", "base64").toString("utf8");
    expect(stored?.type).toBe("bootstrap.kubernetes.io/token");
    expect(decode("token-secret")).toBe(tokenSecret);
    expect(decode("usage-bootstrap-authentication")).toBe("true");
    expect(decode("usage-bootstrap-signing")).toBe("true");
    expect(Math.abs(Date.parse(decode("expiration")) - expires)).toBeLessThanOrEqual(60_000);

    // Not due again right away: a second run changes nothing.
    const again = await h.run("join-token-rotate.sh");
    expect(again).toEqual(expect.objectContaining({ code: 0 }));
    expect(again.output).toMatch(/not due for rotation/);
    expect(h.aws.calls.filter((c) => c.action === "PutSecretValue")).toHaveLength(1);

    // A worker reads that secret and joins with exactly that token and CA pin.
    workerUserData(h, arn);
    const join = await h.run("bootstrap.sh", { ...FAST_POLL, JOIN_TIMEOUT_SECONDS: "60" });
    expect(join).toEqual(expect.objectContaining({ code: 0 }));
    const [config] = h.capturedJoinConfigs();
    expect(config).toContain(`token: "${secret.token}"`);
    expect(config).toContain(`- "${secret.caCertHash}"`);
    expect(validateKubeadmConfig(h, config)).toEqual({ code: 0, out: expect.stringMatching(/ok/) });
    expectNoSecretIn(join, secret.token);
  });
});

describe("control plane boot (user-data, bootstrap.sh, node-prepare.sh, control-plane-init.sh)", () => {
  let h: BootstrapHarness;
  afterEach(async () => {
    await h?.stop();
  });

  /**
   * What the program gives a new control plane: the PKI secret (returned), an empty join
   * secret, the backup bucket and the rendered user-data, installed as cloud-init would.
   */
  async function controlPlaneNode(h: BootstrapHarness): Promise<Record<string, string>> {
    const pki = pkiSecret(fs.mkdtempSync(path.join(h.dir, "pki-")));
    const pkiArn = await createSecret(h, "test/pki");
    await putSecret(h, pkiArn, JSON.stringify({ ...pki, "encryption-key": ENCRYPTION_KEY }));
    const joinArn = await createSecret(h, "test/join");
    await createBucket(h);
    h.installUserData(renderControlPlaneUserData(controlPlaneValues(pkiArn, joinArn)));
    return pki;
  }

  /** The PKI secret the Pulumi program writes: one PEM per file kubeadm must reuse. */
  function pkiSecret(dir: string): Record<string, string> {
    const read = (f: string) => fs.readFileSync(f, "utf8");
    const ca = makeTestCa(dir, "ca");
    const frontProxy = makeTestCa(dir, "front-proxy-ca");
    const etcd = makeTestCa(dir, "etcd-ca");
    const sa = path.join(dir, "sa.key");
    spawnSync("openssl", ["genrsa", "-out", sa, "2048"]);
    spawnSync("openssl", ["rsa", "-in", sa, "-pubout", "-out", path.join(dir, "sa.pub")]);
    return {
      "ca.crt": read(ca.caCert),
      "ca.key": read(ca.caKey),
      "sa.key": read(sa),
      "sa.pub": read(path.join(dir, "sa.pub")),
      "front-proxy-ca.crt": read(frontProxy.caCert),
      "front-proxy-ca.key": read(frontProxy.caKey),
      "etcd/ca.crt": read(etcd.caCert),
      "etcd/ca.key": read(etcd.caKey),
    };
  }

  test("installs the PKI from Secrets Manager (0600), runs kubeadm init once with a valid configuration, and logs no key", async () => {
    h = await BootstrapHarness.start({ identity: { localIpv4: CONTROL_PLANE_IP, localHostname: "ip-10-0-0-10.eu-west-1.compute.internal" } });
    const pki = await controlPlaneNode(h);

    const boot = await h.run("bootstrap.sh");
    expect(boot).toEqual(expect.objectContaining({ code: 0 }));
    expect(boot.output).toMatch(/bootstrap: all steps done: node-prepare control-plane-init/);

    for (const [file, content] of Object.entries(pki)) {
      const target = path.join(h.root, "etc", "kubernetes", "pki", file);
      expect({ file, content: fs.readFileSync(target, "utf8"), mode: fs.statSync(target).mode & 0o777 }).toEqual({ file, content, mode: 0o600 });
      // No line of any PEM body (keys included) reaches the log.
      for (const line of content.split("\n").filter((l) => l.length > 40)) expect(boot.output.includes(line)).toBe(false);
    }
    expect(boot.output).not.toMatch(/PRIVATE KEY/);
    // The Secrets encryption configuration, from the same secret, never in the log.
    const encryption = path.join(h.root, "etc", "kubernetes", "encryption", "config.yaml");
    expect(fs.statSync(encryption).mode & 0o777).toBe(0o600);
    expect(fs.readFileSync(encryption, "utf8")).toContain(`secret: ${ENCRYPTION_KEY}`);
    expect(boot.output.includes(ENCRYPTION_KEY)).toBe(false);

    const inits = h.invocations().filter((i) => i.command === "kubeadm" && i.args[0] === "init");
    expect(inits).toHaveLength(1);
    expect(inits[0].args).toEqual(expect.arrayContaining(["--config", "--skip-token-print"]));
    const [initConfig] = h.capturedConfigs("init");
    expect(initConfig).toContain(`advertiseAddress: "${CONTROL_PLANE_IP}"`);
    expect(validateKubeadmConfig(h, initConfig)).toEqual({ code: 0, out: expect.stringMatching(/ok/) });
    // The rotation units are installed and the first token is requested right away.
    expect(fs.existsSync(path.join(h.root, "etc", "systemd", "system", "join-token-rotate.timer"))).toBe(true);
    expect(h.invocations()).toContainEqual({ command: "systemctl", args: ["start", "join-token-rotate.service"] });
    // The kubelet serving-certificate approver runs from the end of kubeadm init on, as installed from the user-data.
    expect(fs.readFileSync(path.join(h.root, "etc", "systemd", "system", "kubelet-serving-approver.service"), "utf8")).toMatch(
      /^ExecStart=\/opt\/platform\/bin\/kubelet-serving-approver\.sh$/m,
    );
    expect(h.invocations()).toContainEqual({ command: "systemctl", args: ["enable", "--now", "kubelet-serving-approver.service"] });

    // No snapshot in the bucket: a new cluster, initialised empty.
    expect(boot.output).toMatch(/no etcd snapshot in s3:\/\/test-etcd-backups\/snapshots\/: initialising a new cluster/);
    expect(inits[0].args).not.toContain("--ignore-preflight-errors=DirAvailable--var-lib-etcd");

    // A reboot re-runs every step: with the control plane initialised, nothing changes.
    fs.writeFileSync(path.join(h.root, "etc", "kubernetes", "admin.conf"), "kubeadm wrote this\n");
    const again = await h.run("bootstrap.sh");
    expect(again).toEqual(expect.objectContaining({ code: 0 }));
    expect(again.output).toMatch(/already initialised/);
    expect(again.output).toMatch(/pki\/ca.key is up to date/);
    expect(h.invocations().filter((i) => i.command === "kubeadm" && i.args[0] === "init")).toHaveLength(1);
    expect(again.output).not.toMatch(/PRIVATE KEY/);
  });

  test("a kubeadm init that fails after its kubeconfig phase is reset and retried; the done-marker is written once", async () => {
    h = await BootstrapHarness.start({ identity: { localIpv4: CONTROL_PLANE_IP, localHostname: "ip-10-0-0-10.eu-west-1.compute.internal" } });
    const pki = await controlPlaneNode(h);
    const kube = path.join(h.root, "etc", "kubernetes");
    const marker = path.join(h.root, "var", "lib", "platform", "kubeadm-init.done");
    const env = { KUBEADM_INIT_FAIL_ONCE: path.join(h.dir, "init-failed-once") };
    const inits = () => h.invocations().filter((i) => i.command === "kubeadm" && i.args[0] === "init");
    const resets = () => h.invocations().filter((i) => i.command === "kubeadm" && i.args[0] === "reset");

    // First boot: kubeadm init writes admin.conf and the manifests, then fails in a later phase.
    const first = await h.run("bootstrap.sh", env);
    expect(first.code).not.toBe(0);
    expect(first.output).toMatch(/kubeadm init failed; the next attempt resets this node first/);
    expect(fs.existsSync(path.join(kube, "admin.conf"))).toBe(true);
    expect(fs.existsSync(marker)).toBe(false);

    // systemd's retry: admin.conf is no proof of a finished init; reset, then init again.
    const second = await h.run("bootstrap.sh", env);
    expect(second).toEqual(expect.objectContaining({ code: 0 }));
    expect(second.output).toMatch(/a previous kubeadm init did not finish \(no .*kubeadm-init.done, but \/etc\/kubernetes\/admin.conf .*exist\); resetting before the retry/);
    expect(resets()).toEqual([{ command: "kubeadm", args: ["reset", "-f"] }]);
    expect(inits()).toHaveLength(2);
    // The reset came before the second init, and the leftovers are gone.
    const order = h.invocations().filter((i) => i.command === "kubeadm" && ["init", "reset"].includes(i.args[0])).map((i) => i.args[0]);
    expect(order).toEqual(["init", "reset", "init"]);
    expect(fs.existsSync(path.join(kube, "manifests", "etcd.yaml"))).toBe(false);
    // The PKI is back in place for the second init (kubeadm reset removes it).
    expect(fs.readFileSync(path.join(kube, "pki", "ca.key"), "utf8")).toBe(pki["ca.key"]);
    expect(fs.readFileSync(marker, "utf8")).toMatch(/^INITIALISED_AT=\S+\nRESTORED_FROM=none\n$/);
    const written = { text: fs.readFileSync(marker, "utf8"), mtime: fs.statSync(marker).mtimeMs };

    // A reboot: initialised means initialised; no reset, no init, the marker untouched.
    fs.writeFileSync(path.join(kube, "admin.conf"), "kubeadm wrote this\n");
    const third = await h.run("bootstrap.sh", env);
    expect(third).toEqual(expect.objectContaining({ code: 0 }));
    expect(third.output).toMatch(/already initialised/);
    expect(resets()).toHaveLength(1);
    expect(inits()).toHaveLength(2);
    expect({ text: fs.readFileSync(marker, "utf8"), mtime: fs.statSync(marker).mtimeMs }).toEqual(written);
    expect([first, second, third].map((r) => (r.output.match(/wrote .*kubeadm-init.done/g) ?? []).length)).toEqual([0, 1, 0]);
  });
});
