/**
 * kubelet-serving-approver.sh, executed: the real script with the real kubectl (built at
 * the nodes' Kubernetes version), openssl and AWS CLI, against kube-apiserver + etcd and a
 * kube-controller-manager that signs with the cluster CA exactly as kubeadm's does
 * (--cluster-signing-cert-file/--cluster-signing-key-file; its built-in approver runs too
 * and, as on a node, never approves serving requests), and against moto for EC2 (a VPC,
 * instances with private addresses, public addresses and the cluster tag).
 *
 * The requests are real PKCS#10 requests made by openssl and created as the node they
 * claim to come from (the admin impersonates `system:node:<name>` in `system:nodes`, so
 * the API server records that user as the requester, as for a kubelet). Only the kubelet
 * itself does not run: it would make the same request for the node's addresses.
 */
import { ChildProcess, spawn, spawnSync } from "node:child_process";
import * as fs from "node:fs";
import * as os from "node:os";
import * as path from "node:path";
import { renderEnvFile } from "../../infra/nodes/user-data";
import { TestApiServer } from "./apiserver";
import { AwsEmulator } from "./aws-emulator";
import { makeTestPki, TestPki } from "./pki";
import { ServerProcess, freePort, startProcess, waitUntil } from "./processes";
import { SYSTEM_PATH, tool } from "./tool-paths";

jest.setTimeout(300_000);

const SCRIPT = path.resolve(__dirname, "..", "..", "infra", "nodes", "bootstrap", "kubelet-serving-approver.sh");
const REGION = "eu-west-1";
const CLUSTER = "test";
const VPC_CIDR = "10.0.0.0/16";
const SERVING = "kubernetes.io/kubelet-serving";
const CSR_API = "/apis/certificates.k8s.io/v1/certificatesigningrequests";
const CSR_CREATORS = "test:csr-creators";

interface Instance {
  id: string;
  privateDns: string;
  privateIp: string;
  publicIp: string;
  publicDns: string;
}

interface CsrSpec {
  /** The node the request is created as (`system:node:<node>`); undefined: the admin itself. */
  node?: string;
  /** The requester's groups. @default system:nodes, system:authenticated */
  groups?: string[];
  /** The request's subject. @default CN=system:node:<node>, O=system:nodes */
  subject?: string;
  dns?: string[];
  ips?: string[];
  /** Further SANs in openssl's syntax (`email:...`). */
  extraSans?: string[];
  signer?: string;
  usages?: string[];
}

interface CsrObject {
  spec: { username: string };
  status?: { conditions?: { type: string; reason?: string; message?: string }[]; certificate?: string };
}

let dir: string;
let root: string;
let bin: string;
let pki: TestPki;
let api: TestApiServer;
let kcm: ServerProcess;
let aws: AwsEmulator;
let subnetId: string;
let a: Instance;
let b: Instance;

function run(cmd: string, args: readonly string[], env: NodeJS.ProcessEnv = {}) {
  const r = spawnSync(cmd, args, { encoding: "utf8", env: { PATH: `${bin}:${SYSTEM_PATH}`, HOME: dir, ...env }, timeout: 120_000 });
  return { code: r.status, stdout: r.stdout, output: `${r.stdout}${r.stderr}` };
}

/**
 * Like {@link run}, without blocking this process: the AWS emulator's proxy runs in it, so
 * anything that calls AWS (the CLI, the script) must run while the event loop turns.
 */
function runAsync(cmd: string, args: readonly string[], env: NodeJS.ProcessEnv = {}): Promise<ReturnType<typeof run>> {
  return new Promise((resolve, reject) => {
    const child = spawn(cmd, args, { env: { PATH: `${bin}:${SYSTEM_PATH}`, HOME: dir, ...env }, stdio: ["ignore", "pipe", "pipe"] });
    let stdout = "";
    let output = "";
    child.stdout.on("data", (d: Buffer) => {
      stdout += d.toString();
      output += d.toString();
    });
    child.stderr.on("data", (d: Buffer) => (output += d.toString()));
    child.on("error", reject);
    child.on("close", (code) => resolve({ code, stdout, output }));
  });
}

async function awsCli(args: readonly string[]): Promise<string> {
  const r = await runAsync("aws", [...args, "--region", REGION, "--output", "text"], aws.env());
  if (r.code !== 0) throw new Error(`aws ${args.join(" ")} failed: ${r.output}`);
  return r.stdout.trim();
}

/** A running instance in the test VPC with the cluster's tag (or `tag`), as EC2 describes it. */
async function runInstance(privateIp: string, tag = `kubernetes.io/cluster/${CLUSTER}`): Promise<Instance> {
  const id = await awsCli([
    "ec2", "run-instances", "--image-id", "ami-12c6146b", "--instance-type", "t3.micro", "--subnet-id", subnetId,
    "--private-ip-address", privateIp, "--associate-public-ip-address",
    "--tag-specifications", `ResourceType=instance,Tags=[{Key=${tag},Value=owned}]`,
    "--query", "Instances[0].InstanceId",
  ]);
  const [privateDns, ip, publicIp, publicDns] = (await awsCli([
    "ec2", "describe-instances", "--instance-ids", id,
    "--query", "Reservations[0].Instances[0].[PrivateDnsName, PrivateIpAddress, PublicIpAddress, PublicDnsName]",
  ])).split(/\s+/);
  expect({ ip, privateDns }).toEqual({ ip: privateIp, privateDns: `ip-${privateIp.replace(/\./g, "-")}.${REGION}.compute.internal` });
  expect(publicIp).toMatch(/^\d+\.\d+\.\d+\.\d+$/);
  expect(publicDns).toMatch(/^ec2-.*amazonaws\.com$/);
  return { id, privateDns, privateIp, publicIp, publicDns };
}

let serial = 0;
/** Creates a CertificateSigningRequest with a fresh key, as `spec.node` would; returns its name. */
function createCsr(spec: CsrSpec): string {
  const { name, created } = tryCreateCsr(spec);
  expect(created).toEqual(expect.objectContaining({ code: 0 }));
  return name;
}

/** {@link createCsr}, returning kubectl's result instead of insisting on success. */
function tryCreateCsr(spec: CsrSpec): { name: string; created: ReturnType<typeof run> } {
  const name = `csr-${++serial}`;
  const base = path.join(dir, "requests", name);
  fs.mkdirSync(path.dirname(base), { recursive: true });
  const sans = [...(spec.dns ?? []).map((d) => `DNS:${d}`), ...(spec.ips ?? []).map((i) => `IP:${i}`), ...(spec.extraSans ?? [])];
  const req = run("openssl", [
    "req", "-new", "-newkey", "ec", "-pkeyopt", "ec_paramgen_curve:prime256v1", "-nodes", "-keyout", `${base}.key`,
    "-subj", spec.subject ?? `/O=system:nodes/CN=system:node:${spec.node}`,
    ...(sans.length > 0 ? ["-addext", `subjectAltName=${sans.join(",")}`] : []),
    "-out", `${base}.csr`,
  ]);
  expect(req).toEqual(expect.objectContaining({ code: 0 }));
  const object = {
    apiVersion: "certificates.k8s.io/v1",
    kind: "CertificateSigningRequest",
    metadata: { name },
    spec: {
      request: fs.readFileSync(`${base}.csr`).toString("base64"),
      signerName: spec.signer ?? SERVING,
      usages: spec.usages ?? ["digital signature", "server auth"],
    },
  };
  fs.writeFileSync(`${base}.json`, JSON.stringify(object));
  const groups = spec.groups ?? ["system:nodes", "system:authenticated"];
  const as = spec.node ? [`--as=system:node:${spec.node}`, ...groups.map((g) => `--as-group=${g}`)] : [];
  return { name, created: run("kubectl", ["--kubeconfig", kubeconfig(), "create", "-f", `${base}.json`, ...as]) };
}

function kubeconfig(): string {
  return path.join(root, "etc", "kubernetes", "admin.conf");
}

async function getCsr(name: string): Promise<CsrObject> {
  const res = await api.client.request("GET", `${CSR_API}/${name}`);
  expect(res.status).toBe(200);
  return JSON.parse(res.body) as CsrObject;
}

/** `Approved: <message>`, `Denied: <message>` or `pending`. */
async function decision(name: string): Promise<string> {
  const c = (await getCsr(name)).status?.conditions?.find((x) => x.type === "Approved" || x.type === "Denied");
  return c ? `${c.type} (${c.reason}): ${c.message}` : "pending";
}

function writeEnv(vpcCidr: string): string {
  const file = path.join(dir, `bootstrap-${vpcCidr.replace(/\W/g, "-")}.env`);
  fs.writeFileSync(file, renderEnvFile({ CLUSTER_NAME: CLUSTER, AWS_REGION: REGION, VPC_CIDR: vpcCidr }, "test"));
  return file;
}

function approverEnv(vpcCidr = VPC_CIDR, extra: Record<string, string> = {}): NodeJS.ProcessEnv {
  return { ...aws.env(), ROOT_DIR: root, BOOTSTRAP_ENV: writeEnv(vpcCidr), ...extra };
}

function approveOnce(vpcCidr = VPC_CIDR) {
  return runAsync("bash", [SCRIPT, "--once"], approverEnv(vpcCidr));
}

beforeAll(async () => {
  dir = fs.mkdtempSync(path.join(os.tmpdir(), "serving-approver-"));
  root = path.join(dir, "root");
  bin = path.join(dir, "bin");
  fs.mkdirSync(bin, { recursive: true });
  fs.symlinkSync(tool("KUBECTL"), path.join(bin, "kubectl"));
  pki = makeTestPki(path.join(dir, "pki"));
  api = await TestApiServer.start({ dir: path.join(dir, "api"), pki });
  fs.mkdirSync(path.dirname(kubeconfig()), { recursive: true });
  fs.writeFileSync(kubeconfig(), api.kubeconfig(), { mode: 0o600 });
  // A group outside system:nodes that may create CSRs (as kubeadm's bootstrap-token group may).
  const binding = run("kubectl", ["--kubeconfig", kubeconfig(), "create", "clusterrolebinding", "test-csr-creators", "--clusterrole=system:node-bootstrapper", `--group=${CSR_CREATORS}`]);
  expect(binding).toEqual(expect.objectContaining({ code: 0 }));

  // The controllers kubeadm's controller manager runs for CSRs, signing with the cluster CA as there.
  const port = await freePort();
  kcm = startProcess(
    "kube-controller-manager",
    tool("KUBE_CONTROLLER_MANAGER"),
    [
      `--kubeconfig=${kubeconfig()}`,
      `--authentication-kubeconfig=${kubeconfig()}`,
      `--authorization-kubeconfig=${kubeconfig()}`,
      `--cluster-signing-cert-file=${pki.caCert}`,
      `--cluster-signing-key-file=${pki.caKey}`,
      "--controllers=csrsigning,csrapproving",
      "--bind-address=127.0.0.1",
      `--secure-port=${port}`,
      `--cert-dir=${path.join(dir, "kcm-certs")}`,
      "--leader-elect=false",
      "--v=2",
    ],
    path.join(dir, "kube-controller-manager.log"),
  );
  await waitUntil(kcm, "/healthz ok", async () => run("curl", ["-skf", `https://127.0.0.1:${port}/healthz`]).code === 0, 120_000);

  aws = await AwsEmulator.start(path.join(dir, "aws"));
  const vpcId = await awsCli(["ec2", "create-vpc", "--cidr-block", VPC_CIDR, "--query", "Vpc.VpcId"]);
  subnetId = await awsCli(["ec2", "create-subnet", "--vpc-id", vpcId, "--cidr-block", "10.0.1.0/24", "--availability-zone", `${REGION}a`, "--query", "Subnet.SubnetId"]);
  a = await runInstance("10.0.1.23");
  b = await runInstance("10.0.1.24");
});

afterAll(async () => {
  await kcm?.stop();
  await api?.stop();
  await aws?.stop();
  if (dir) fs.rmSync(dir, { recursive: true, force: true });
});

describe("one pass (--once)", () => {
  const csrs: Record<string, string> = {};
  let pass: Awaited<ReturnType<typeof runAsync>>;
  let refusedOtherCommonName: ReturnType<typeof run>;

  beforeAll(async () => {
    const own = { node: a.privateDns, dns: [a.privateDns], ips: [a.privateIp] };
    csrs.matching = createCsr({ node: a.privateDns, dns: [a.privateDns, a.publicDns], ips: [a.privateIp, a.publicIp] });
    csrs.minimal = createCsr({ ...own, usages: ["digital signature", "key encipherment", "server auth"] });
    // A node cannot even create it (NodeRestriction, which kubeadm enables, compares the CN); user
    // system:node:<a> outside the group system:nodes (e.g. a client certificate without O) escapes that check.
    refusedOtherCommonName = tryCreateCsr({ ...own, subject: `/O=system:nodes/CN=system:node:${b.privateDns}` }).created;
    const outsideNodes = [CSR_CREATORS, "system:authenticated"];
    csrs.otherCommonName = createCsr({ ...own, groups: outsideNodes, subject: `/O=system:nodes/CN=system:node:${b.privateDns}` });
    csrs.notInNodesGroup = createCsr({ ...own, groups: outsideNodes });
    csrs.extraOrganization = createCsr({ ...own, subject: `/O=system:nodes/O=system:masters/CN=system:node:${a.privateDns}` });
    csrs.otherInstanceIp = createCsr({ ...own, ips: [a.privateIp, b.privateIp] });
    csrs.foreignIp = createCsr({ ...own, ips: ["192.0.2.10"] });
    csrs.otherInstanceName = createCsr({ ...own, dns: [a.privateDns, b.privateDns] });
    csrs.email = createCsr({ ...own, extraSans: ["email:root@example.com"] });
    csrs.clientUsage = createCsr({ ...own, usages: ["digital signature", "server auth", "client auth"] });
    csrs.noServerAuth = createCsr({ ...own, usages: ["digital signature", "key encipherment"] });
    csrs.notANode = createCsr({ subject: `/O=system:nodes/CN=system:node:${a.privateDns}`, dns: [a.privateDns] });
    csrs.noInstance = createCsr({ node: "ip-10-0-1-99.eu-west-1.compute.internal", dns: ["ip-10-0-1-99.eu-west-1.compute.internal"], ips: ["10.0.1.99"] });
    csrs.otherSigner = createCsr({ ...own, signer: "example.com/node-serving" });
    pass = await approveOnce();
  });

  test("exits 0 and logs one line per decision, without the admin credentials", () => {
    expect(pass).toEqual(expect.objectContaining({ code: 0 }));
    expect(pass.output.includes(api.token)).toBe(false);
    for (const [label, name] of Object.entries(csrs)) {
      const lines = pass.output.split("\n").filter((l) => l.includes(`CSR ${name} `));
      expect({ label, lines: lines.length }).toEqual({ label, lines: label === "otherSigner" ? 0 : 1 });
    }
  });

  test("approves a node asking for its own names and addresses (private and public), and the cluster CA signs it", async () => {
    expect(await decision(csrs.matching)).toBe(
      `Approved (KubeletServingApprover): the subject and DNS:${a.privateDns}, DNS:${a.publicDns}, IP Address:${a.privateIp}, IP Address:${a.publicIp} match instance ${a.id}`,
    );
    expect(await decision(csrs.minimal)).toMatch(/^Approved/);
    expect(pass.output).toContain(`CSR ${csrs.matching} (system:node:${a.privateDns}): approved: the subject and`);

    let certificate: string | undefined;
    for (let i = 0; i < 120 && !certificate; i++) {
      certificate = (await getCsr(csrs.matching)).status?.certificate;
      if (!certificate) await new Promise((r) => setTimeout(r, 500));
    }
    expect(certificate).toBeDefined();
    const certFile = path.join(dir, "issued.crt");
    fs.writeFileSync(certFile, Buffer.from(certificate as string, "base64"));
    expect(run("openssl", ["verify", "-CAfile", pki.caCert, certFile])).toEqual(expect.objectContaining({ code: 0 }));
    const text = run("openssl", ["x509", "-in", certFile, "-noout", "-text"]).stdout;
    expect(text).toContain(`DNS:${a.privateDns}, DNS:${a.publicDns}, IP Address:${a.privateIp}, IP Address:${a.publicIp}`);
    expect(text).toMatch(/TLS Web Server Authentication/);
  });

  test("denies a request whose subject is not exactly the requesting node (which the API server refuses from a node itself)", async () => {
    expect(refusedOtherCommonName).toEqual(
      expect.objectContaining({ code: 1, output: expect.stringContaining(`forbidden: can only create a node CSR with CN=system:node:${a.privateDns}`) }),
    );
    expect(await decision(csrs.otherCommonName)).toBe(
      `Denied (KubeletServingApprover): subject CN=system:node:${b.privateDns},O=system:nodes is not CN=system:node:${a.privateDns},O=system:nodes`,
    );
    expect(await decision(csrs.extraOrganization)).toMatch(/^Denied .*: subject CN=system:node:\S+,O=system:masters,O=system:nodes is not CN=/);
  });

  test("denies an IP address that is another instance's or no instance's", async () => {
    expect(await decision(csrs.otherInstanceIp)).toBe(`Denied (KubeletServingApprover): ${b.privateIp} is not a name or address of instance ${a.id}`);
    expect(await decision(csrs.foreignIp)).toBe(`Denied (KubeletServingApprover): 192.0.2.10 is not a name or address of instance ${a.id}`);
  });

  test("denies a DNS name of another instance", async () => {
    expect(await decision(csrs.otherInstanceName)).toBe(`Denied (KubeletServingApprover): ${b.privateDns} is not a name or address of instance ${a.id}`);
  });

  test("denies e-mail SANs, usages beyond serving, a missing server auth, and a requester that is not a node", async () => {
    expect(await decision(csrs.email)).toBe(
      `Denied (KubeletServingApprover): SANs ["DNS:${a.privateDns}","IP Address:${a.privateIp}","email:root@example.com"] are not only DNS names and IP addresses`,
    );
    expect(await decision(csrs.clientUsage)).toBe(
      'Denied (KubeletServingApprover): usages ["digital signature","server auth","client auth"] are not those of a serving certificate',
    );
    expect(await decision(csrs.noServerAuth)).toBe('Denied (KubeletServingApprover): usages ["digital signature","key encipherment"] are not those of a serving certificate');
    expect(await decision(csrs.notANode)).toBe("Denied (KubeletServingApprover): test-admin is not a node");
    expect(await decision(csrs.notInNodesGroup)).toBe(`Denied (KubeletServingApprover): system:node:${a.privateDns} is not in group system:nodes`);
  });

  test("leaves a node without a running instance pending, and never touches another signer's request", async () => {
    expect(await decision(csrs.noInstance)).toBe("pending");
    expect(pass.output).toContain(
      `CSR ${csrs.noInstance} (system:node:ip-10-0-1-99.eu-west-1.compute.internal) stays pending: 0 running instances named ip-10-0-1-99.eu-west-1.compute.internal are tagged kubernetes.io/cluster/test=owned`,
    );
    const other = await getCsr(csrs.otherSigner);
    expect(other.status?.conditions ?? []).toEqual([]);
  });

  test("a second pass changes nothing it decided", async () => {
    const before = await Promise.all(Object.values(csrs).map(decision));
    const again = await approveOnce();
    expect(again).toEqual(expect.objectContaining({ code: 0 }));
    expect(again.output).not.toMatch(/approved:|denied:/);
    expect(await Promise.all(Object.values(csrs).map(decision))).toEqual(before);
  });
});

test("denies a private address outside the VPC's CIDR even when it is the instance's", async () => {
  const name = createCsr({ node: a.privateDns, dns: [a.privateDns], ips: [a.privateIp] });
  const r = await approveOnce("10.9.0.0/16");
  expect(r).toEqual(expect.objectContaining({ code: 0 }));
  expect(await decision(name)).toBe(`Denied (KubeletServingApprover): ${a.privateIp} of instance ${a.id} is outside the VPC 10.9.0.0/16`);
});

test("a node of another cluster is not this cluster's: its request stays pending", async () => {
  const other = await runInstance("10.0.1.40", "kubernetes.io/cluster/other");
  const name = createCsr({ node: other.privateDns, dns: [other.privateDns], ips: [other.privateIp] });
  expect(await approveOnce()).toEqual(expect.objectContaining({ code: 0 }));
  expect(await decision(name)).toBe("pending");
});

test("the service's loop approves a waiting request once its instance is running, and keeps going after a failed pass", async () => {
  const node = "ip-10-0-1-77.eu-west-1.compute.internal";
  const name = createCsr({ node, dns: [node], ips: ["10.0.1.77"] });
  const log = path.join(dir, "loop.log");
  const fd = fs.openSync(log, "a");
  const loop: ChildProcess = spawn("bash", [SCRIPT], {
    env: { PATH: `${bin}:${SYSTEM_PATH}`, HOME: dir, ...approverEnv(VPC_CIDR, { APPROVER_INTERVAL_SECONDS: "1" }) },
    stdio: ["ignore", fd, fd],
    detached: true,
  });
  fs.closeSync(fd);
  const until = async (what: string, probe: () => Promise<boolean>) => {
    for (let i = 0; i < 120; i++) {
      if (await probe()) return;
      await new Promise((r) => setTimeout(r, 500));
    }
    throw new Error(`${what} did not happen within 60 s:\n${fs.readFileSync(log, "utf8")}`);
  };
  try {
    await until("a pass that leaves the request pending", async () => fs.readFileSync(log, "utf8").includes(`CSR ${name} (system:node:${node}) stays pending`));
    expect(await decision(name)).toBe("pending");
    // The API server is unreachable for a moment (a kubeconfig that points nowhere): the pass fails, the loop goes on.
    const conf = fs.readFileSync(kubeconfig(), "utf8");
    fs.writeFileSync(kubeconfig(), conf.replace(api.url, "https://127.0.0.1:1"));
    await until("a failed pass", async () => fs.readFileSync(log, "utf8").includes("WARNING: this pass failed"));
    fs.writeFileSync(kubeconfig(), conf);
    const instance = await runInstance("10.0.1.77");
    await until("approval", async () => (await decision(name)).startsWith("Approved"));
    expect(await decision(name)).toContain(`match instance ${instance.id}`);
    expect(loop.exitCode).toBeNull();
  } finally {
    if (loop.pid) process.kill(-loop.pid, "SIGTERM");
  }
});

test("refuses to start without its inputs", async () => {
  const env = { ...aws.env(), ROOT_DIR: root, BOOTSTRAP_ENV: path.join(dir, "bad.env") };
  fs.writeFileSync(env.BOOTSTRAP_ENV, renderEnvFile({ CLUSTER_NAME: CLUSTER, AWS_REGION: REGION, VPC_CIDR: "10.0.0.0" }, "test"));
  expect(await runAsync("bash", [SCRIPT, "--once"], env)).toEqual(expect.objectContaining({ code: 1, output: expect.stringMatching(/VPC_CIDR '10\.0\.0\.0' is not an IPv4 CIDR block/) }));
  fs.writeFileSync(env.BOOTSTRAP_ENV, renderEnvFile({ CLUSTER_NAME: CLUSTER, AWS_REGION: REGION }, "test"));
  expect(await runAsync("bash", [SCRIPT, "--once"], env)).toEqual(expect.objectContaining({ code: 1, output: expect.stringMatching(/VPC_CIDR is not set/) }));
});
