/**
 * `kubeadm config validate` (kubeadm of the pinned release, built from source) on every
 * kubeadm configuration the bootstrap scripts render: the control plane's
 * InitConfiguration/ClusterConfiguration/KubeletConfiguration and the workers'
 * JoinConfiguration, for the default stack configuration and a non-default one.
 *
 * The configurations come from the scripts themselves (RENDER_ONLY=1), fed with the env
 * file the Pulumi program renders from the parsed stack configuration, so what is
 * validated here is byte for byte what `kubeadm init` / `kubeadm join` read on a node.
 */
import { spawnSync } from "node:child_process";
import * as fs from "node:fs";
import * as os from "node:os";
import * as path from "node:path";
import { parse as parseYaml, parseAllDocuments } from "yaml";
import { apiServerCertSans, controlPlaneBootstrapEnv, controlPlanePrivateIp } from "../../infra/nodes/control-plane";
import { renderEnvFile } from "../../infra/nodes/user-data";
import { parseConfig, PlatformConfig } from "../../infra/config";
import { KUBEADM_API_VERSION, KUBERNETES_VERSION } from "../../infra/versions";
import { workerBootstrapEnv } from "../../infra/nodes/workers";
import { tool } from "./tool-paths";

jest.setTimeout(120_000);

const BOOTSTRAP = path.resolve(__dirname, "..", "..", "infra", "nodes", "bootstrap");
let work: string;
beforeAll(() => {
  work = fs.mkdtempSync(path.join(os.tmpdir(), "kubeadm-test-"));
});
afterAll(() => fs.rmSync(work, { recursive: true, force: true }));

/**
 * Stack configurations to render for: only the keys that have no default, and one that
 * changes everything the kubeadm configurations carry.
 */
const STACKS: readonly { name: string; raw: Record<string, unknown>; region: string }[] = [
  { name: "default configuration", raw: { clusterName: "demo", apiAllowedCidrs: ["203.0.113.7/32"] }, region: "eu-west-1" },
  {
    name: "non-default configuration",
    region: "us-east-2",
    raw: {
      clusterName: "prod-blue",
      apiAllowedCidrs: ["198.51.100.0/24", "203.0.113.7/32"],
      vpcCidr: "10.20.0.0/16",
      podCidr: "172.16.0.0/16",
      serviceCidr: "10.100.0.0/16",
      nodePools: JSON.stringify([
        {
          name: "gpu",
          instanceTypes: ["g5.xlarge"],
          minSize: 0,
          desiredSize: 0,
          maxSize: 4,
          labels: { "platform.example.com/pool": "gpu", "node.kubernetes.io/instance-family": "g5" },
          taints: [
            { key: "nvidia.com/gpu", value: "true", effect: "NoSchedule" },
            { key: "platform.example.com/dedicated", value: "ml", effect: "NoExecute" },
          ],
        },
        { name: "general", instanceTypes: ["m7i.large"], minSize: 1, desiredSize: 2, maxSize: 5 },
      ]),
      joinTokenTtlHours: 12,
      joinTokenRotationHours: 4,
      workerJoinTimeoutMinutes: 30,
    },
  },
];

function config(stack: (typeof STACKS)[number]): PlatformConfig {
  return parseConfig(stack.raw, { region: stack.region, source: stack.name });
}

function run(cmd: string, args: readonly string[], env: NodeJS.ProcessEnv = {}) {
  const r = spawnSync(cmd, args, { encoding: "utf8", env: { PATH: process.env.PATH, HOME: work, ...env }, timeout: 60_000 });
  return { code: r.status, out: `${r.stdout}${r.stderr}` };
}

function validate(file: string) {
  return run(tool("KUBEADM"), ["config", "validate", "--config", file]);
}

function writeEnv(name: string, env: Record<string, string | number>): string {
  const file = path.join(work, `${name}.env`);
  fs.writeFileSync(file, renderEnvFile(env, `test: ${name}`));
  return file;
}

function renderInit(stack: (typeof STACKS)[number]): string {
  const c = config(stack);
  const endpointIp = controlPlanePrivateIp(c.cluster.publicSubnetCidrs[0]);
  const id = stack.name.replace(/\W+/g, "-");
  const envFile = writeEnv(`init-${id}`, controlPlaneBootstrapEnv({
    clusterName: c.cluster.clusterName,
    region: c.cluster.region,
    kubernetesVersion: c.cluster.kubernetesVersion,
    endpointIp,
    certSans: apiServerCertSans({ privateIp: endpointIp, publicIp: "203.0.113.10", publicDns: "ec2-203-0-113-10.compute.amazonaws.com" }),
    podCidr: c.cluster.podCidr,
    serviceCidr: c.cluster.serviceCidr,
    pkiSecretArn: `arn:aws:secretsmanager:${c.cluster.region}:123456789012:secret:${c.cluster.clusterName}-pki-AbCdEf`,
    joinSecretArn: `arn:aws:secretsmanager:${c.cluster.region}:123456789012:secret:${c.cluster.clusterName}-join-AbCdEf`,
    serviceAccountIssuerUrl: `https://${c.cluster.clusterName}-oidc-1.s3.${c.cluster.region}.amazonaws.com`,
    backupBucket: `${c.cluster.clusterName}-etcd-backups`,
    kmsKeyArn: `arn:aws:kms:${c.cluster.region}:123456789012:key/00000000-0000-0000-0000-000000000000`,
    backupIntervalMinutes: c.cluster.etcdBackupIntervalMinutes,
    backupKeep: 168,
    joinTokenTtlHours: c.nodePools.joinTokenTtlHours,
    joinTokenRotationHours: c.nodePools.joinTokenRotationHours,
    vpcCidr: c.cluster.vpcCidr,
  }));
  const out = path.join(work, `init-${id}.yaml`);
  const r = run("bash", [path.join(BOOTSTRAP, "control-plane-init.sh")], {
    RENDER_ONLY: "1",
    ROOT_DIR: path.join(work, `root-${id}`),
    BOOTSTRAP_ENV: envFile,
    KUBEADM_CONFIG: out,
    NODE_NAME: `ip-${endpointIp.replace(/\./g, "-")}.${c.cluster.region}.compute.internal`,
    NODE_IP: endpointIp,
  });
  expect(r).toEqual(expect.objectContaining({ code: 0 }));
  return out;
}

function renderJoins(stack: (typeof STACKS)[number]): { pool: string; file: string }[] {
  const c = config(stack);
  const id = stack.name.replace(/\W+/g, "-");
  const secret = path.join(work, `join-secret-${id}.json`);
  fs.writeFileSync(
    secret,
    JSON.stringify({
      token: "abcdef.0123456789abcdef",
      caCertHash: `sha256:${"0123456789abcdef".repeat(4)}`,
      endpoint: "10.0.0.10:6443",
      expiresAt: new Date(Date.now() + 12 * 3600_000).toISOString().replace(/\.\d{3}Z$/, "Z"),
    }),
  );
  return c.nodePools.nodePools.map((pool) => {
    const envFile = writeEnv(`join-${id}-${pool.name}`, workerBootstrapEnv({
      clusterName: c.cluster.clusterName,
      region: c.cluster.region,
      kubernetesVersion: c.cluster.kubernetesVersion,
      joinSecretArn: `arn:aws:secretsmanager:${c.cluster.region}:123456789012:secret:join`,
      joinTimeoutMinutes: c.nodePools.workerJoinTimeoutMinutes,
      pool,
    }));
    const file = path.join(work, `join-${id}-${pool.name}.yaml`);
    const r = run("bash", [path.join(BOOTSTRAP, "worker-join.sh")], {
      RENDER_ONLY: "1",
      ROOT_DIR: path.join(work, `root-${id}-${pool.name}`),
      BOOTSTRAP_ENV: envFile,
      JOIN_SECRET_FILE: secret,
      KUBEADM_JOIN_CONFIG: file,
      NODE_NAME: "ip-10-0-1-23.eu-west-1.compute.internal",
      NODE_IP: "10.0.1.23",
    });
    expect(r).toEqual(expect.objectContaining({ code: 0 }));
    return { pool: pool.name, file };
  });
}

describe.each(STACKS.map((s) => [s.name, s] as const))("kubeadm configurations for the %s", (_name, stack) => {
  test("kubeadm config validate accepts the control plane's configuration", () => {
    const file = renderInit(stack);
    const kinds = parseAllDocuments(fs.readFileSync(file, "utf8")).map((d) => (d.toJSON() as { kind: string }).kind);
    expect(kinds).toEqual(["InitConfiguration", "ClusterConfiguration", "KubeletConfiguration"]);
    expect(validate(file)).toEqual({ code: 0, out: expect.stringMatching(/ok/) });
  });

  test("kubeadm config validate accepts every pool's JoinConfiguration", () => {
    const joins = renderJoins(stack);
    expect(joins.length).toBe(config(stack).nodePools.nodePools.length);
    for (const { pool, file } of joins) {
      const doc = parseYaml(fs.readFileSync(file, "utf8")) as { kind: string; apiVersion: string };
      expect({ pool, kind: doc.kind, apiVersion: doc.apiVersion }).toEqual({ pool, kind: "JoinConfiguration", apiVersion: KUBEADM_API_VERSION });
      expect({ pool, ...validate(file) }).toEqual({ pool, code: 0, out: expect.stringMatching(/ok/) });
    }
  });
});

describe("kubeadm config validate as a check", () => {
  test(`is kubeadm ${KUBERNETES_VERSION}`, () => {
    expect(run(tool("KUBEADM"), ["version", "-o", "short"])).toEqual({ code: 0, out: `v${KUBERNETES_VERSION}\n` });
  });

  test("rejects a configuration with a misspelt field or a bad value", () => {
    const good = renderInit(STACKS[0]);
    const text = fs.readFileSync(good, "utf8");
    const typo = path.join(work, "typo.yaml");
    fs.writeFileSync(typo, text.replace("podSubnet:", "podSubnett:"));
    const typoResult = validate(typo);
    expect(typoResult.code).not.toBe(0);
    expect(typoResult.out).toMatch(/podSubnett/);
    const badCidr = path.join(work, "bad-cidr.yaml");
    fs.writeFileSync(badCidr, text.replace(/serviceSubnet: "[^"]+"/, 'serviceSubnet: "10.96.0.0/33"'));
    expect(validate(badCidr).code).not.toBe(0);
  });
});
