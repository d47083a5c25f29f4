/**
 * The node bootstrap as it reaches EC2: the control plane's cloud-config (golden
 * file), the env file renderer, and the kubeadm configuration control-plane-init.sh
 * renders in RENDER_ONLY mode (golden file; the tools tests hand it to kubeadm).
 * UPDATE_GOLDEN=1 rewrites the golden files.
 */
import { spawnSync } from "child_process";
import * as fs from "fs";
import * as os from "os";
import * as path from "path";
import { parse, parseAllDocuments } from "yaml";
import {
  ControlPlaneBootstrapValues,
  controlPlaneBootstrapEnv,
  renderControlPlaneUserData,
} from "../../../../infra/nodes/control-plane";
import {
  decodeUserData,
  encodeUserData,
  NODE_BIN_DIR,
  NODE_BOOTSTRAP_ENV,
  NODE_UNITS_DIR,
  nodeScript,
  readBootstrapFile,
  renderEnvFile,
  renderNodeUserData,
  shellQuote,
  USER_DATA_LIMIT_BYTES,
} from "../../../../infra/nodes/user-data";
import { KUBEADM_API_VERSION, KUBERNETES_VERSION } from "../../../../infra/versions";
import { goldenIn } from "../../support/golden";

const REPO = path.resolve(__dirname, "../../../..");
const PEM = /-----BEGIN [A-Z ]+-----/;
const BOOTSTRAP_TOKEN = /[a-z0-9]{6}\.[a-z0-9]{16}/;

export const SAMPLE_VALUES: ControlPlaneBootstrapValues = {
  clusterName: "demo",
  region: "us-east-1",
  kubernetesVersion: KUBERNETES_VERSION,
  endpointIp: "10.0.0.10",
  certSans: ["10.0.0.10", "198.51.100.20", "ec2-198-51-100-20.compute-1.amazonaws.com", "127.0.0.1", "localhost"],
  podCidr: "192.168.0.0/16",
  serviceCidr: "10.96.0.0/12",
  pkiSecretArn: "arn:aws:secretsmanager:us-east-1:123456789012:secret:demo/pki-AbCdEf",
  joinSecretArn: "arn:aws:secretsmanager:us-east-1:123456789012:secret:demo/join-AbCdEf",
  serviceAccountIssuerUrl: "https://demo-oidc-20260101000000000000000001.s3.us-east-1.amazonaws.com",
  backupBucket: "demo-etcd-20260101000000000000000001",
  kmsKeyArn: "arn:aws:kms:us-east-1:123456789012:key/0b9c7a5e-1111-2222-3333-444455556666",
  backupIntervalMinutes: 60,
  backupKeep: 168,
  joinTokenTtlHours: 24,
  joinTokenRotationHours: 6,
  vpcCidr: "10.0.0.0/16",
};

const expectGolden = goldenIn("bootstrap");

interface WriteFile {
  path: string;
  permissions: string;
  owner: string;
  content: string;
}

function cloudConfig(text: string): { preserve_hostname: boolean; write_files: WriteFile[]; runcmd: string[][] } {
  expect(text.startsWith("#cloud-config\n")).toBe(true);
  return parse(text);
}

/** Runs control-plane-init.sh in RENDER_ONLY mode; returns its exit status, log and the rendered file. */
function renderKubeadmConfig(values: ControlPlaneBootstrapValues, extraEnv: Record<string, string> = {}) {
  const dir = fs.mkdtempSync(path.join(os.tmpdir(), "kubeadm-render-"));
  try {
    const envFile = path.join(dir, "bootstrap.env");
    fs.writeFileSync(envFile, renderEnvFile(controlPlaneBootstrapEnv(values), "test"));
    const out = path.join(dir, "kubeadm-config.yaml");
    const run = spawnSync("bash", [path.join(REPO, "infra/nodes/bootstrap/control-plane-init.sh")], {
      env: {
        PATH: process.env.PATH ?? "/usr/bin:/bin",
        ROOT_DIR: dir,
        BOOTSTRAP_ENV: envFile,
        KUBEADM_CONFIG: out,
        RENDER_ONLY: "1",
        NODE_NAME: "ip-10-0-0-10.ec2.internal",
        NODE_IP: "10.0.0.10",
        ...extraEnv,
      },
      encoding: "utf8",
    });
    const config = fs.existsSync(out) ? fs.readFileSync(out, "utf8") : undefined;
    return { status: run.status, stderr: run.stderr, config };
  } finally {
    fs.rmSync(dir, { recursive: true, force: true });
  }
}

describe("env file", () => {
  it("single-quotes values so the shell reads them back verbatim", () => {
    expect(shellQuote("it's $HOME `x`")).toBe(`'it'\\''s $HOME \`x\`'`);
    const text = renderEnvFile({ A: "it's $HOME", B: 42 }, "header");
    const file = path.join(fs.mkdtempSync(path.join(os.tmpdir(), "env-")), "bootstrap.env");
    fs.writeFileSync(file, text);
    const run = spawnSync("bash", ["-c", 'source "$1"; printf "%s|%s" "$A" "$B"', "bash", file], { encoding: "utf8" });
    fs.rmSync(path.dirname(file), { recursive: true });
    expect(run.stdout).toBe("it's $HOME|42");
  });

  it("rejects names that are not shell variables and multi-line values", () => {
    expect(() => renderEnvFile({ "bad-name": "x" }, "h")).toThrow(/bad-name/);
    expect(() => renderEnvFile({ GOOD: "two\nlines" }, "h")).toThrow(/GOOD/);
  });
});

describe("control-plane user-data", () => {
  const text = renderControlPlaneUserData(SAMPLE_VALUES);

  it("matches the golden file", () => {
    expectGolden("control-plane.user-data.yaml", text);
  });

  it("installs the scripts without their comment lines: code lines and here-documents unchanged", () => {
    const script = [
      "#!/usr/bin/env bash",
      "# why this script exists",
      "set -eu",
      "  # an indented comment",
      "cat <<EOF",
      "# a YAML comment kubeadm reads",
      "EOF",
      "cat <<'UNIT' >x",
      "  # kept",
      "UNIT",
      'read -r -a a <<<"$b" # a here-string is no here-document',
      "# dropped",
      'echo "#not a comment line"',
    ].join("\n");
    expect(nodeScript(script).split("\n")).toEqual([
      "#!/usr/bin/env bash",
      "set -eu",
      "cat <<EOF",
      "# a YAML comment kubeadm reads",
      "EOF",
      "cat <<'UNIT' >x",
      "  # kept",
      "UNIT",
      'read -r -a a <<<"$b" # a here-string is no here-document',
      'echo "#not a comment line"',
    ]);
    for (const name of ["bootstrap", "node-prepare", "control-plane-init", "etcd-backup", "etcd-restore", "join-token-rotate", "kubelet-serving-approver"]) {
      const source = readBootstrapFile(`${name}.sh`);
      const code = (t: string) => t.split("\n").filter((l) => !/^\s*#/.test(l));
      expect({ name, code: code(nodeScript(source)) }).toEqual({ name, code: code(source) });
      expect(spawnSync("bash", ["-n"], { input: nodeScript(source) }).status).toBe(0);
    }
  });

  it("installs every script executable, the units, and the env file", () => {
    const doc = cloudConfig(text);
    const byPath = new Map(doc.write_files.map((f) => [f.path, f]));
    for (const script of ["bootstrap", "node-prepare", "control-plane-init", "etcd-backup", "etcd-restore", "join-token-rotate", "kubelet-serving-approver"]) {
      const file = byPath.get(`${NODE_BIN_DIR}/${script}.sh`);
      expect(file?.permissions).toBe("0755");
      expect(file?.content).toBe(nodeScript(readBootstrapFile(`${script}.sh`)));
    }
    for (const unit of ["join-token-rotate.service", "join-token-rotate.timer", "kubelet-serving-approver.service"]) {
      expect(byPath.get(`${NODE_UNITS_DIR}/${unit}`)?.content).toBe(readBootstrapFile(unit));
    }
    expect(byPath.get("/etc/systemd/system/platform-bootstrap.service")?.content).toBe(readBootstrapFile("platform-bootstrap.service"));
    expect(doc.preserve_hostname).toBe(true);
    expect(doc.runcmd).toContainEqual(["systemctl", "enable", "--now", "--no-block", "platform-bootstrap.service"]);

    const env = byPath.get(NODE_BOOTSTRAP_ENV)?.content ?? "";
    expect(env).toContain("BOOTSTRAP_STEPS='node-prepare control-plane-init'");
    expect(env).toContain(`KUBERNETES_PACKAGE_VERSION='${KUBERNETES_VERSION}-1.1'`);
    expect(env).toContain(`KUBEADM_API_VERSION='${KUBEADM_API_VERSION}'`);
    expect(env).toContain("CONTROL_PLANE_ENDPOINT_IP='10.0.0.10'");
    expect(env).toContain(`API_SERVER_CERT_SANS='${SAMPLE_VALUES.certSans.join(" ")}'`);
    expect(env).toContain(`PKI_SECRET_ARN='${SAMPLE_VALUES.pkiSecretArn}'`);
    expect(env).toContain("JOIN_TOKEN_TTL_HOURS='24'");
    expect(env).toContain("VPC_CIDR='10.0.0.0/16'");
  });

  it("carries no PEM block, no bootstrap token and no key material", () => {
    expect(text).not.toMatch(PEM);
    expect(text).not.toMatch(BOOTSTRAP_TOKEN);
    expect(text).not.toMatch(/PRIVATE KEY|client-key-data|"token"\s*:\s*"[a-z0-9]/);
  });

  it("fits EC2's 16 KiB limit once gzipped, and decodes back to the same text", () => {
    const encoded = encodeUserData(text);
    expect(Buffer.from(encoded, "base64").length).toBeLessThanOrEqual(USER_DATA_LIMIT_BYTES);
    expect(decodeUserData(encoded)).toBe(text);
    expect(encodeUserData(text)).toBe(encoded);
  });

  it("refuses user-data that would exceed the limit", () => {
    const noise = Array.from({ length: 40000 }, (_, i) => ((i * 2654435761) >>> 0).toString(36)).join("");
    expect(() => encodeUserData(noise)).toThrow(/above EC2's limit/);
  });

  it("needs at least one step", () => {
    expect(() => renderNodeUserData({ env: {}, steps: [] })).toThrow(/at least one bootstrap step/);
  });
});

describe("kubeadm configuration rendered by control-plane-init.sh (RENDER_ONLY=1)", () => {
  const rendered = renderKubeadmConfig(SAMPLE_VALUES);

  it("renders without AWS or root and matches the golden file", () => {
    expect(rendered.stderr).not.toMatch(/ERROR/);
    expect(rendered.status).toBe(0);
    expectGolden("kubeadm-init.yaml", rendered.config ?? "");
  });

  it("is a v1beta4 Init + Cluster configuration with external cloud provider, node IP, CIDRs and SANs", () => {
    const docs = parseAllDocuments(rendered.config ?? "").map((d) => d.toJS());
    expect(docs.map((d) => d.kind)).toEqual(["InitConfiguration", "ClusterConfiguration", "KubeletConfiguration"]);
    const [init, cluster, kubelet] = docs;
    expect(init.apiVersion).toBe("kubeadm.k8s.io/v1beta4");
    expect(cluster.apiVersion).toBe("kubeadm.k8s.io/v1beta4");
    expect(init.nodeRegistration.name).toBe("ip-10-0-0-10.ec2.internal");
    // v1beta4: extra arguments are lists of {name, value}, not maps.
    expect(init.nodeRegistration.kubeletExtraArgs).toEqual([
      { name: "cloud-provider", value: "external" },
      { name: "node-ip", value: "10.0.0.10" },
    ]);
    expect(init.localAPIEndpoint).toEqual({ advertiseAddress: "10.0.0.10", bindPort: 6443 });
    expect(cluster.kubernetesVersion).toBe(`v${KUBERNETES_VERSION}`);
    expect(cluster.controlPlaneEndpoint).toBe("10.0.0.10:6443");
    expect(cluster.networking).toMatchObject({ podSubnet: "192.168.0.0/16", serviceSubnet: "10.96.0.0/12" });
    expect(cluster.apiServer.certSANs).toEqual(SAMPLE_VALUES.certSans);
    expect(cluster.controllerManager.extraArgs).toContainEqual({ name: "cloud-provider", value: "external" });
    // kube-apiserver refuses --cloud-provider since 1.33.
    expect(cluster.apiServer.extraArgs.map((a: { name: string }) => a.name)).not.toContain("cloud-provider");
    expect(kubelet.cgroupDriver).toBe("systemd");
    // Kubelets ask the cluster CA for their serving certificate (kubelet-serving-approver.sh approves it);
    // kubeadm puts this document into the kubelet-config ConfigMap every joining kubelet reads.
    expect(kubelet.serverTLSBootstrap).toBe(true);
  });

  it("stops with a message naming the variable when a value is malformed", () => {
    const bad = renderKubeadmConfig({ ...SAMPLE_VALUES, certSans: ["10.0.0.10", "bad name;rm"] });
    expect(bad.status).not.toBe(0);
    expect(bad.stderr).toMatch(/API_SERVER_CERT_SANS entry 'name;rm'|API_SERVER_CERT_SANS entry/);
    const badCidr = renderKubeadmConfig({ ...SAMPLE_VALUES, podCidr: "192.168.0.0" });
    expect(badCidr.status).not.toBe(0);
    expect(badCidr.stderr).toMatch(/POD_CIDR '192\.168\.0\.0' is not an IPv4 CIDR block/);
    expect(badCidr.config).toBeUndefined();
  });

  it("needs the node identity", () => {
    const missing = renderKubeadmConfig(SAMPLE_VALUES, { NODE_NAME: "", NODE_IP: "" });
    expect(missing.status).not.toBe(0);
    expect(missing.stderr).toMatch(/NODE_NAME is not set/);
  });
});
