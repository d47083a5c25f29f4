/**
 * Disaster recovery and backups, executed with the real etcd and kube-apiserver:
 *
 *   1. objects are written through a real API server backed by a real etcd whose data
 *      directory is where kubeadm puts it on the node (ROOT_DIR/var/lib/etcd);
 *   2. etcd-backup.sh takes the snapshot with the real etcdctl (the harness's `ctr run`
 *      stand-in runs the etcdctl binary of the etcd release the tests build) and uploads it
 *      to moto's S3 with the real AWS CLI; it records its outcome for node-exporter and
 *      keeps the newest ETCD_BACKUP_KEEP snapshots;
 *   3. the control-plane instance is "replaced": etcd and the API server stop and the
 *      whole root filesystem is wiped, then the real user-data is installed again;
 *   4. the boot path runs (bootstrap.sh: node-prepare.sh, control-plane-init.sh): it finds
 *      the newest snapshot and restores it with the real etcdutl (etcd-restore.sh,
 *      ETCD_RESTORE_DATA_ONLY) before `kubeadm init`. `kubeadm init` itself needs a node
 *      (kubelet, containerd, root), so its stand-in waits while the test starts etcd and
 *      the API server on the restored data directory, as the kubelet would from
 *      kubeadm's manifests;
 *   5. the objects are found again, the one written after the snapshot is not, and the
 *      join secret holds a token the real kubeadm created in the restored cluster
 *      (join-token-rotate.sh, forced), not the newer one the secret held before.
 */
import * as crypto from "node:crypto";
import * as fs from "node:fs";
import * as path from "node:path";
import { renderControlPlaneUserData } from "../../infra/nodes/control-plane";
import { KUBERNETES_VERSION } from "../../infra/versions";
import { BootstrapHarness } from "./bootstrap-harness";
import { TestApiServer } from "./apiserver";
import { KubeClient } from "./kube-client";
import { makeTestCa, makeTestPki, TestPki } from "./pki";

jest.setTimeout(600_000);

const REGION = "eu-west-1";
const CONTROL_PLANE_IP = "10.0.0.10";
const NODE_NAME = "ip-10-0-0-10.eu-west-1.compute.internal";
const BUCKET = "test-etcd-backups";

async function aws(h: BootstrapHarness, ...args: string[]): Promise<string> {
  const r = await h.awsCli([...args, "--region", REGION]);
  if (r.code !== 0) throw new Error(`aws ${args.join(" ")} failed: ${r.stderr}`);
  return r.stdout.trim();
}

async function putSecretValue(h: BootstrapHarness, arn: string, value: string): Promise<void> {
  const file = path.join(h.dir, "secret-value.json");
  fs.writeFileSync(file, value, { mode: 0o600 });
  await aws(h, "secretsmanager", "put-secret-value", "--secret-id", arn, "--secret-string", `file://${file}`);
}

async function create(client: KubeClient, kind: "configmaps" | "secrets", name: string, data: Record<string, string>): Promise<void> {
  const body =
    kind === "configmaps"
      ? { apiVersion: "v1", kind: "ConfigMap", metadata: { name }, data }
      : { apiVersion: "v1", kind: "Secret", metadata: { name }, stringData: data };
  const res = await client.request("POST", `/api/v1/namespaces/default/${kind}`, body);
  if (res.status !== 201) throw new Error(`creating ${kind}/${name}: ${res.status} ${res.body}`);
}

async function getData(client: KubeClient, kind: "configmaps" | "secrets", name: string): Promise<Record<string, string> | undefined> {
  const res = await client.request("GET", `/api/v1/namespaces/default/${kind}/${name}`);
  if (res.status === 404) return undefined;
  if (res.status !== 200) throw new Error(`reading ${kind}/${name}: ${res.status} ${res.body}`);
  return (JSON.parse(res.body) as { data?: Record<string, string> }).data ?? {};
}

async function waitForFile(file: string, timeoutMs: number, boot: Promise<unknown>): Promise<void> {
  let finished = false;
  void boot.then(() => (finished = true));
  const deadline = Date.now() + timeoutMs;
  while (!fs.existsSync(file)) {
    if (finished) throw new Error(`the boot ended before ${file} appeared`);
    if (Date.now() > deadline) throw new Error(`${file} did not appear within ${timeoutMs / 1000}s`);
    await new Promise((r) => setTimeout(r, 250));
  }
}

/** Every PKI file kubeadm reuses; the cluster CA is the one the test API servers' certificates come from. */
function pkiSecret(dir: string, pki: TestPki): Record<string, string> {
  const read = (f: string) => fs.readFileSync(f, "utf8");
  const frontProxy = makeTestCa(dir, "front-proxy-ca");
  const etcd = makeTestCa(dir, "etcd-ca");
  return {
    "ca.crt": read(pki.caCert),
    "ca.key": read(pki.caKey),
    "sa.key": read(pki.serviceAccountKey),
    "sa.pub": read(pki.serviceAccountPub),
    "front-proxy-ca.crt": read(frontProxy.caCert),
    "front-proxy-ca.key": read(frontProxy.caKey),
    "etcd/ca.crt": read(etcd.caCert),
    "etcd/ca.key": read(etcd.caKey),
    // infra/aws/encryption.ts adds the Secrets encryption key to the same secret.
    "encryption-key": crypto.randomBytes(32).toString("base64"),
  };
}

describe("a replaced control plane restores etcd from the newest snapshot by itself", () => {
  let h: BootstrapHarness;
  const running: TestApiServer[] = [];
  afterAll(async () => {
    for (const cp of running) await cp.stop();
    await h?.stop();
  });

  test("snapshot with etcd-backup.sh, wipe the node, boot in restore mode: the objects are back and workers get a token the cluster knows", async () => {
    h = await BootstrapHarness.start({ identity: { localIpv4: CONTROL_PLANE_IP, localHostname: NODE_NAME } });
    const pki = makeTestPki(path.join(h.dir, "test-pki"));
    const dataDir = path.join(h.root, "var", "lib", "etcd");

    // --- AWS as the Pulumi program leaves it --------------------------------------------
    const kmsKeyArn = await aws(h, "kms", "create-key", "--query", "KeyMetadata.Arn", "--output", "text");
    await aws(h, "s3api", "create-bucket", "--bucket", BUCKET, "--create-bucket-configuration", `LocationConstraint=${REGION}`);
    await aws(h, "s3api", "put-bucket-versioning", "--bucket", BUCKET, "--versioning-configuration", "Status=Enabled");
    const pkiArn = await aws(h, "secretsmanager", "create-secret", "--name", "test/pki", "--query", "ARN", "--output", "text");
    await putSecretValue(h, pkiArn, JSON.stringify(pkiSecret(path.join(h.dir, "test-pki"), pki)));
    const joinArn = await aws(h, "secretsmanager", "create-secret", "--name", "test/join", "--query", "ARN", "--output", "text");
    // Set once the issuer of issue 14 lands (a spread, so the values type-check with or without it).
    const issuer = { serviceAccountIssuerUrl: "https://test-oidc-1.s3.eu-west-1.amazonaws.com" };
    const userData = renderControlPlaneUserData({
      ...issuer,
      clusterName: "test",
      region: REGION,
      kubernetesVersion: KUBERNETES_VERSION,
      endpointIp: CONTROL_PLANE_IP,
      certSans: [CONTROL_PLANE_IP, "localhost"],
      vpcCidr: "10.0.0.0/16",
      podCidr: "192.168.0.0/16",
      serviceCidr: "10.96.0.0/12",
      pkiSecretArn: pkiArn,
      joinSecretArn: joinArn,
      backupBucket: BUCKET,
      kmsKeyArn,
      backupIntervalMinutes: 60,
      backupKeep: 2,
      joinTokenTtlHours: 24,
      joinTokenRotationHours: 8,
    });
    h.installUserData(userData);

    // --- the running cluster, and what etcd-backup.sh needs on the node -------------------
    const before = await TestApiServer.start({ dir: path.join(h.dir, "before"), pki, etcd: { dataDir, memberName: NODE_NAME } });
    running.push(before);
    await create(before.client, "configmaps", "dr-proof", { written: "before the snapshot" });
    await create(before.client, "secrets", "dr-secret", { password: "kept-in-the-snapshot" });
    const kube = path.join(h.root, "etc", "kubernetes");
    fs.mkdirSync(path.join(kube, "manifests"), { recursive: true });
    fs.mkdirSync(path.join(kube, "pki", "etcd"), { recursive: true });
    fs.writeFileSync(path.join(kube, "manifests", "etcd.yaml"), "spec:\n  containers:\n    - name: etcd\n      image: registry.k8s.io/etcd:3.6.5-0\n");
    fs.copyFileSync(pki.caCert, path.join(kube, "pki", "etcd", "ca.crt"));
    fs.copyFileSync(pki.serverCert, path.join(kube, "pki", "apiserver-etcd-client.crt"));
    fs.copyFileSync(pki.serverKey, path.join(kube, "pki", "apiserver-etcd-client.key"));
    // Two older snapshots in the bucket: with ETCD_BACKUP_KEEP=2 the oldest is retired.
    const old = path.join(h.dir, "old.db");
    fs.writeFileSync(old, "an older snapshot");
    for (const name of ["etcd-20200101T000000Z.db", "etcd-20200102T000000Z.db"]) {
      await aws(h, "s3", "cp", "--only-show-errors", old, `s3://${BUCKET}/snapshots/${name}`);
    }

    const backup = await h.run("etcd-backup.sh", { ETCD_ENDPOINT: before.etcdUrl });
    expect(backup).toEqual(expect.objectContaining({ code: 0 }));
    const metrics = fs.readFileSync(path.join(h.root, "var", "lib", "node-exporter", "textfile", "etcd_backup.prom"), "utf8");
    expect(metrics).toMatch(/^etcd_backup_last_attempt_success 1$/m);
    expect(Number(/^etcd_backup_last_success_timestamp_seconds (\d+)$/m.exec(metrics)?.[1])).toBeGreaterThan(Date.now() / 1000 - 120);
    expect(Number(/^etcd_backup_last_size_bytes (\d+)$/m.exec(metrics)?.[1])).toBeGreaterThan(0);
    const current = (await aws(h, "s3api", "list-objects-v2", "--bucket", BUCKET, "--prefix", "snapshots/", "--query", "Contents[].Key", "--output", "text")).split(/\s+/);
    expect(current).toHaveLength(2);
    expect(current).toContain("snapshots/etcd-20200102T000000Z.db");
    const snapshot = current.find((k) => !k.includes("2020"));
    expect(snapshot).toMatch(/^snapshots\/etcd-\d{8}T\d{6}Z\.db$/);
    // The retired one is only hidden: its version stays for the bucket's lifecycle to expire.
    const versions = await aws(h, "s3api", "list-object-versions", "--bucket", BUCKET, "--prefix", "snapshots/etcd-20200101", "--query", "Versions[].Key", "--output", "text");
    expect(versions).toContain("snapshots/etcd-20200101T000000Z.db");
    expect(backup.output).toMatch(/retired snapshots\/etcd-20200101T000000Z.db/);

    // Written after the snapshot: a restore must not have it.
    await create(before.client, "configmaps", "after-snapshot", { written: "after the snapshot" });
    // The join secret holds a token newer than the snapshot, which the restored cluster never saw.
    const staleToken = "abcdef.0123456789abcdef";
    const hash = `sha256:${"0".repeat(64)}`;
    await putSecretValue(h, joinArn, JSON.stringify({ token: staleToken, caCertHash: hash, endpoint: `${CONTROL_PLANE_IP}:6443`, expiresAt: new Date(Date.now() + 12 * 3600_000).toISOString().replace(/\.\d{3}Z$/, "Z") }));

    // --- the instance is replaced: nothing of the old root filesystem survives ----------
    await before.stop();
    running.pop();
    fs.rmSync(h.root, { recursive: true, force: true });
    fs.mkdirSync(h.root, { recursive: true });
    h.installUserData(userData);

    const ctr = () => h.invocations().filter((i) => i.command === "ctr");
    const ctrBefore = ctr().length;
    const ready = path.join(h.dir, "control-plane-started");
    const boot = h.run("bootstrap.sh", { KUBEADM_INIT_READY_FILE: ready, AWS_FIRST_DELAY_SECONDS: "1", PUT_FIRST_DELAY_SECONDS: "1" }, 300_000);
    await waitForFile(`${ready}.started`, 240_000, boot);
    // kubeadm init has been called: the data directory was restored before it.
    expect(fs.existsSync(path.join(dataDir, "member", "snap", "db"))).toBe(true);
    const after = await TestApiServer.start({ dir: path.join(h.dir, "after"), pki, etcd: { dataDir, memberName: NODE_NAME } });
    running.push(after);
    fs.writeFileSync(path.join(h.root, "etc", "kubernetes", "admin.conf"), after.kubeconfig(), { mode: 0o600 });
    fs.writeFileSync(ready, "");
    const result = await boot;

    expect(result).toEqual(expect.objectContaining({ code: 0 }));
    expect(result.output).toMatch(new RegExp(`this control plane replaces an earlier one: restoring etcd from ${snapshot} before kubeadm init`));
    expect(result.output).toMatch(/running kubeadm init on the restored etcd data/);
    const inits = h.invocations().filter((i) => i.command === "kubeadm" && i.args[0] === "init");
    expect(inits).toHaveLength(1);
    expect(inits[0].args).toContain("--ignore-preflight-errors=DirAvailable--var-lib-etcd");
    expect(ctr().slice(ctrBefore).map((i) => i.args.slice(0, 3))).toEqual([
      ["--namespace", "k8s.io", "image"],
      ["--namespace", "k8s.io", "run"],
    ]);
    expect(fs.readFileSync(path.join(h.root, "var", "lib", "platform", "kubeadm-init.done"), "utf8")).toContain(`RESTORED_FROM=${snapshot}`);

    // The objects of the snapshot are back; the later one is not.
    expect(await getData(after.client, "configmaps", "dr-proof")).toEqual({ written: "before the snapshot" });
    expect(await getData(after.client, "secrets", "dr-secret")).toEqual({ password: Buffer.from("kept-in-the-snapshot").toString("base64") });
    expect(await getData(after.client, "configmaps", "after-snapshot")).toBeUndefined();

    // The join secret now holds a token the restored cluster knows (created by the real kubeadm).
    const secret = JSON.parse(await aws(h, "secretsmanager", "get-secret-value", "--secret-id", joinArn, "--query", "SecretString", "--output", "text")) as { token: string };
    expect(secret.token).not.toBe(staleToken);
    const [id, tokenSecret] = secret.token.split(".");
    const res = await after.client.request("GET", `/api/v1/namespaces/kube-system/secrets/bootstrap-token-${id}`);
    expect(res.status).toBe(200);
    const data = (JSON.parse(res.body) as { data: Record<string, string> }).data;
    expect(Buffer.from(data["token-secret"], "base64").toString("utf8")).toBe(tokenSecret);
    expect(result.output).toMatch(/join secret holds a token of the restored cluster/);
    expect(result.output.includes(tokenSecret)).toBe(false);
  });
});
