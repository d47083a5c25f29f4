import { installPulumiMocks, TEST_REGION, validStackConfig } from "../../support/pulumi-mocks";

const mocks = installPulumiMocks();

import * as fs from "fs";
import * as path from "path";
import * as pulumi from "@pulumi/pulumi";
import { parse } from "yaml";
import { CLUSTER_NAME_MAX_LENGTH, publicSubnetCidrs } from "../../../../infra/config/cluster";
import { knownKeys, loadConfig, parseConfig } from "../../../../infra/config";
import { ConfigError } from "../../../../lib/validate";
import { KUBERNETES_VERSION } from "../../../../infra/versions";

/** Parses and returns the ConfigError; fails the test if the configuration was accepted. */
function rejection(raw: Record<string, unknown>, ...regionArg: [string | undefined] | []): ConfigError {
  const region = regionArg.length === 0 ? TEST_REGION : regionArg[0];
  try {
    parseConfig(raw, { region });
  } catch (e) {
    if (e instanceof ConfigError) return e;
    throw e;
  }
  throw new Error(`configuration was accepted: ${JSON.stringify(raw)}`);
}

interface BadCase {
  readonly what: string;
  readonly raw: Record<string, unknown>;
  readonly region?: string | null;
  /** The full key path the problem must be reported under. */
  readonly key: string;
  /** How the bad value must appear after "got ". */
  readonly got: string;
  /** A fragment of the "allowed: ..." text. */
  readonly allowed: string;
}

const base = validStackConfig();
const without = (key: string) => Object.fromEntries(Object.entries(base).filter(([k]) => k !== key));

const badCases: BadCase[] = [
  { what: "cluster name with capitals", raw: { ...base, clusterName: "Demo" }, key: "clusterName", got: '"Demo"', allowed: "lowercase letters" },
  { what: "cluster name with an underscore", raw: { ...base, clusterName: "my_cluster" }, key: "clusterName", got: '"my_cluster"', allowed: "DNS label" },
  { what: "cluster name ending with a dash", raw: { ...base, clusterName: "demo-" }, key: "clusterName", got: '"demo-"', allowed: "not ending with '-'" },
  {
    what: "cluster name too long for AWS names",
    raw: { ...base, clusterName: "a".repeat(CLUSTER_NAME_MAX_LENGTH + 1) },
    key: "clusterName",
    got: `"${"a".repeat(CLUSTER_NAME_MAX_LENGTH + 1)}"`,
    allowed: `at most ${CLUSTER_NAME_MAX_LENGTH} characters`,
  },
  { what: "cluster name missing", raw: without("clusterName"), key: "clusterName", got: "nothing (the key is missing)", allowed: "a value must be set" },
  { what: "Kubernetes version without patch", raw: { ...base, kubernetesVersion: "1.35" }, key: "kubernetesVersion", got: '"1.35"', allowed: "x.y.z" },
  { what: "Kubernetes version with a v prefix", raw: { ...base, kubernetesVersion: "v1.35.4" }, key: "kubernetesVersion", got: '"v1.35.4"', allowed: "x.y.z" },
  { what: "Kubernetes minor out of support", raw: { ...base, kubernetesVersion: "1.29.3" }, key: "kubernetesVersion", got: '"1.29.3"', allowed: "1.35, 1.36, 1.37" },
  {
    what: "Kubernetes minor supported upstream but without pinned add-on images",
    raw: { ...base, kubernetesVersion: "1.37.1" },
    key: "kubernetesVersion",
    got: '"1.37.1"',
    allowed: "images are pinned (1.35, 1.36); 1.37 is supported upstream",
  },
  { what: "region missing", raw: base, region: null, key: "aws:region", got: "nothing (the key is missing)", allowed: "pulumi config set aws:region" },
  { what: "region malformed", raw: base, region: "US East", key: "aws:region", got: '"US East"', allowed: "an AWS region such as us-east-1" },
  { what: "fewer than two availability zones", raw: { ...base, availabilityZoneCount: "1" }, key: "availabilityZoneCount", got: "1", allowed: "an integer from 2 to 6" },
  { what: "availability zone count not a number", raw: { ...base, availabilityZoneCount: "two" }, key: "availabilityZoneCount", got: '"two"', allowed: "an integer from 2 to 6" },
  { what: "malformed VPC CIDR", raw: { ...base, vpcCidr: "10.0.0.0/33" }, key: "vpcCidr", got: '"10.0.0.0/33"', allowed: "an IPv4 CIDR block" },
  { what: "VPC CIDR with host bits", raw: { ...base, vpcCidr: "10.0.0.1/16" }, key: "vpcCidr", got: '"10.0.0.1/16"', allowed: "with its network address" },
  { what: "VPC larger than AWS allows", raw: { ...base, vpcCidr: "10.0.0.0/8" }, key: "vpcCidr", got: '"10.0.0.0/8"', allowed: "from /16 to /24" },
  { what: "subnet prefix shorter than any VPC", raw: { ...base, subnetPrefixLength: "12" }, key: "subnetPrefixLength", got: "12", allowed: "an integer from 16 to 28" },
  {
    what: "subnets that cannot fit the VPC without overlapping",
    raw: { ...base, vpcCidr: "10.0.0.0/24", subnetPrefixLength: "24", availabilityZoneCount: "3" },
    key: "subnetPrefixLength",
    got: "24",
    allowed: "3 subnets (one per availability zone) fit inside vpcCidr 10.0.0.0/24 without overlapping",
  },
  { what: "pod CIDR overlapping the VPC", raw: { ...base, podCidr: "10.0.0.0/12" }, key: "podCidr", got: '"10.0.0.0/12"', allowed: "does not overlap vpcCidr 10.0.0.0/16" },
  { what: "service CIDR overlapping the pod CIDR", raw: { ...base, serviceCidr: "192.168.0.0/20" }, key: "serviceCidr", got: '"192.168.0.0/20"', allowed: "does not overlap podCidr 192.168.0.0/16" },
  { what: "service CIDR overlapping the VPC", raw: { ...base, serviceCidr: "10.0.0.0/16" }, key: "serviceCidr", got: '"10.0.0.0/16"', allowed: "does not overlap vpcCidr" },
  { what: "service CIDR too large for kube-apiserver", raw: { ...base, serviceCidr: "100.0.0.0/8" }, key: "serviceCidr", got: '"100.0.0.0/8"', allowed: "from /12 to /24" },
  { what: "instance type too small for kubeadm", raw: { ...base, controlPlaneInstanceType: "t3.micro" }, key: "controlPlaneInstanceType", got: '"t3.micro"', allowed: "at least 2 vCPUs" },
  { what: "instance type without family", raw: { ...base, controlPlaneInstanceType: "medium" }, key: "controlPlaneInstanceType", got: '"medium"', allowed: "an EC2 instance type such as t3.medium" },
  { what: "negative root volume size", raw: { ...base, rootVolumeSizeGiB: "-5" }, key: "rootVolumeSizeGiB", got: "-5", allowed: "an integer from 20 to 16384" },
  { what: "fractional root volume size", raw: { ...base, rootVolumeSizeGiB: "30.5" }, key: "rootVolumeSizeGiB", got: '"30.5"', allowed: "an integer from 20 to 16384" },
  { what: "API CIDR list empty", raw: { ...base, apiAllowedCidrs: "[]" }, key: "apiAllowedCidrs", got: "[]", allowed: "at least 1 item" },
  { what: "API CIDR list missing", raw: without("apiAllowedCidrs"), key: "apiAllowedCidrs", got: "nothing (the key is missing)", allowed: "there is no default" },
  { what: "API CIDR without prefix length", raw: { ...base, apiAllowedCidrs: '["203.0.113.7"]' }, key: "apiAllowedCidrs[0]", got: '"203.0.113.7"', allowed: "an IPv4 CIDR block" },
  { what: "SSH CIDRs given as a bare string", raw: { ...base, sshAllowedCidrs: "198.51.100.0/24" }, key: "sshAllowedCidrs", got: '"198.51.100.0/24"', allowed: "a list" },
  { what: "NodePort CIDR malformed", raw: { ...base, nodePortAllowedCidrs: '["300.1.1.0/24"]' }, key: "nodePortAllowedCidrs[0]", got: '"300.1.1.0/24"', allowed: "an IPv4 CIDR block" },
  { what: "SSH key name empty", raw: { ...base, sshKeyName: "" }, key: "sshKeyName", got: '""', allowed: "an existing EC2 key pair" },
  { what: "AMI id malformed", raw: { ...base, amiId: "ami-12345" }, key: "amiId", got: '"ami-12345"', allowed: "ami- followed by 8 or 17" },
  { what: "tag that fights the Name tag", raw: { ...base, tags: '{"Name":"x"}' }, key: 'tags["Name"]', got: '"Name"', allowed: "a tag key the platform does not set itself" },
  { what: "tag in the reserved aws: namespace", raw: { ...base, tags: '{"aws:owner":"x"}' }, key: 'tags["aws:owner"]', got: '"aws:owner"', allowed: "starting with aws:" },
  { what: "tag value too long", raw: { ...base, tags: JSON.stringify({ team: "x".repeat(257) }) }, key: 'tags["team"]', got: `"${"x".repeat(257)}"`, allowed: "0-256 characters" },
  { what: "tags not a map", raw: { ...base, tags: '["a","b"]' }, key: "tags", got: '"[\\"a\\",\\"b\\"]"', allowed: "a map of string keys" },
  { what: "etcd backup interval zero", raw: { ...base, etcdBackupIntervalMinutes: "0" }, key: "etcdBackupIntervalMinutes", got: "0", allowed: "an integer from 5 to 1440" },
  { what: "etcd backup retention negative", raw: { ...base, etcdBackupRetentionDays: "-1" }, key: "etcdBackupRetentionDays", got: "-1", allowed: "an integer from 1 to 3650" },
  { what: "unknown key (a typo)", raw: { ...base, clustername: "demo" }, key: "clustername", got: '"demo"', allowed: "a known key (one of: clusterName," },
];

describe("stack configuration: bad input", () => {
  it("covers at least 20 distinct bad configurations", () => {
    expect(new Set(badCases.map((c) => c.what)).size).toBe(badCases.length);
    expect(badCases.length).toBeGreaterThanOrEqual(20);
  });

  it.each(badCases)("rejects $what, naming the key, the value and what is allowed", (c) => {
    const error = rejection(c.raw, c.region === null ? undefined : (c.region ?? TEST_REGION));
    const problem = error.problems.find((p) => p.key === c.key);
    expect(problem).toBeDefined();
    // The message line reads "<key>: got <value>; allowed: <...>".
    const line = error.message.split("\n").find((l) => l.startsWith(`  - ${c.key}: got `));
    expect(line).toBeDefined();
    expect(line).toContain(`${c.key}: got ${c.got}; allowed: `);
    expect(line!.slice(line!.indexOf("; allowed: "))).toContain(c.allowed);
  });

  it("reports every problem at once, in one error", () => {
    const error = rejection({ clusterName: "Bad_Name", availabilityZoneCount: "1", vpcCidr: "nope", rootVolumeSizeGiB: "-1", apiAllowedCidrs: "[]", extra: "x" }, "mars");
    expect(error.problems.map((p) => p.key).sort()).toEqual(
      ["apiAllowedCidrs", "availabilityZoneCount", "aws:region", "clusterName", "extra", "rootVolumeSizeGiB", "vpcCidr"].sort(),
    );
    expect(error.message).toMatch(/^Invalid stack configuration \(7 problems\); nothing was created:/);
  });

  it("does not report overlaps against a VPC block the user did not write", () => {
    const error = rejection({ ...base, vpcCidr: "10.0.0.1/16", podCidr: "10.0.0.0/12" });
    expect(error.problems.map((p) => p.key)).toEqual(["vpcCidr"]);
  });
});

describe("stack configuration: accepted input", () => {
  it("applies the documented defaults", () => {
    const { cluster } = parseConfig(base, { region: "eu-west-1" });
    expect(cluster).toMatchObject({
      clusterName: "demo",
      region: "eu-west-1",
      kubernetesVersion: KUBERNETES_VERSION,
      availabilityZoneCount: 2,
      vpcCidr: "10.0.0.0/16",
      publicSubnetCidrs: ["10.0.0.0/20", "10.0.16.0/20"],
      podCidr: "192.168.0.0/16",
      serviceCidr: "10.96.0.0/12",
      controlPlaneInstanceType: "t3.medium",
      apiAllowedCidrs: ["203.0.113.7/32"],
      sshAllowedCidrs: [],
      nodePortAllowedCidrs: [],
      sshKeyName: undefined,
      amiId: undefined,
      etcdBackupIntervalMinutes: 60,
      etcdBackupRetentionDays: 7,
    });
  });

  it("opens the API to the world only when 0.0.0.0/0 is written explicitly", () => {
    const { cluster } = parseConfig({ ...base, apiAllowedCidrs: '["0.0.0.0/0"]' }, { region: TEST_REGION });
    expect(cluster.apiAllowedCidrs).toEqual(["0.0.0.0/0"]);
  });

  it("reads values as Pulumi delivers them (strings, JSON lists and maps)", () => {
    const { cluster } = parseConfig(
      {
        ...base,
        availabilityZoneCount: "3",
        subnetPrefixLength: "24",
        vpcCidr: "172.20.0.0/16",
        sshAllowedCidrs: '["198.51.100.0/24"]',
        sshKeyName: "ops key",
        tags: '{"team":"platform","cost-center":"42"}',
        amiId: "ami-0123456789abcdef0",
      },
      { region: "ap-southeast-2" },
    );
    expect(cluster.publicSubnetCidrs).toEqual(["172.20.0.0/24", "172.20.1.0/24", "172.20.2.0/24"]);
    expect(cluster.sshAllowedCidrs).toEqual(["198.51.100.0/24"]);
    expect(cluster.tags).toEqual({ team: "platform", "cost-center": "42" });
    expect(cluster.amiId).toBe("ami-0123456789abcdef0");
  });

  it("lays subnets out as consecutive, non-overlapping blocks", () => {
    expect(publicSubnetCidrs("10.1.0.0/16", 18, 4)).toEqual(["10.1.0.0/18", "10.1.64.0/18", "10.1.128.0/18", "10.1.192.0/18"]);
    expect(() => publicSubnetCidrs("10.1.0.0/16", 17, 3)).toThrow(RangeError);
  });

  it("knows every cluster key and the registered sections' keys", () => {
    expect(knownKeys()).toEqual(expect.arrayContaining(["clusterName", "apiAllowedCidrs", "etcdBackupRetentionDays"]));
    expect(new Set(knownKeys()).size).toBe(knownKeys().length);
  });
});

describe("Pulumi.dev.yaml", () => {
  it("is a valid stack configuration that keeps SSH closed and the API off the open internet", () => {
    const file = parse(fs.readFileSync(path.join(__dirname, "..", "..", "..", "..", "Pulumi.dev.yaml"), "utf8")) as { config: Record<string, unknown> };
    const raw: Record<string, unknown> = {};
    for (const [key, value] of Object.entries(file.config)) {
      // Pulumi hands structured values to the program as JSON text.
      const text = typeof value === "string" ? value : JSON.stringify(value);
      if (key.startsWith("kubeadm-aws-platform:")) raw[key.slice("kubeadm-aws-platform:".length)] = text;
    }
    const { cluster } = parseConfig(raw, { region: file.config["aws:region"] as string });
    expect(cluster.apiAllowedCidrs).not.toContain("0.0.0.0/0");
    expect(cluster.sshAllowedCidrs).toEqual([]);
    expect(cluster.availabilityZoneCount).toBeGreaterThanOrEqual(2);
  });
});

describe("loadConfig (Pulumi stack configuration)", () => {
  afterEach(() => mocks.setConfig(validStackConfig()));

  it("reads the project namespace and aws:region, ignoring other providers' keys", () => {
    mocks.setConfig({ ...validStackConfig(), vpcCidr: "10.9.0.0/16" }, "eu-central-1");
    pulumi.runtime.setConfig("kubernetes:context", "elsewhere");
    const config = loadConfig();
    expect(config.cluster.vpcCidr).toBe("10.9.0.0/16");
    expect(config.cluster.region).toBe("eu-central-1");
  });

  it("falls back to AWS_REGION like the AWS provider when aws:region is unset", () => {
    const saved = process.env.AWS_REGION;
    try {
      process.env.AWS_REGION = "sa-east-1";
      mocks.setConfig(validStackConfig(), undefined);
      expect(loadConfig().cluster.region).toBe("sa-east-1");
    } finally {
      if (saved === undefined) delete process.env.AWS_REGION;
      else process.env.AWS_REGION = saved;
    }
  });

  it("rejects an unknown key of the project namespace", () => {
    mocks.setConfig({ ...validStackConfig(), apiAlowedCidrs: '["1.2.3.4/32"]' });
    expect(() => loadConfig()).toThrow(/apiAlowedCidrs: got "\[\\"1\.2\.3\.4\/32\\"\]"; allowed: a known key/);
  });
});

describe("the program with bad configuration", () => {
  // Loading the whole program (and @pulumi/aws) under Jest takes seconds on a shared machine.
  jest.setTimeout(120_000);
  beforeEach(() => mocks.reset());
  afterEach(() => mocks.setConfig(validStackConfig()));

  function runProgram(): unknown {
    let thrown: unknown;
    jest.isolateModules(() => {
      try {
        require("../../../../infra/index"); // eslint-disable-line @typescript-eslint/no-require-imports
      } catch (e) {
        thrown = e;
      }
    });
    return thrown;
  }

  it("declares no resource and calls no data source", async () => {
    mocks.setConfig({ clusterName: "Bad", apiAllowedCidrs: "[]", vpcCidr: "10.0.0.0/8" });
    const thrown = runProgram() as Error;
    expect(thrown).toBeDefined();
    expect(thrown.name).toBe("ConfigError");
    expect(thrown.message).toContain("clusterName: got \"Bad\"");
    expect(thrown.message).toContain("vpcCidr: got \"10.0.0.0/8\"");
    await mocks.settle();
    expect(mocks.resources).toEqual([]);
    expect(mocks.calls).toEqual([]);
  });

  it("does declare resources with good configuration (so the check above can fail)", async () => {
    mocks.setConfig(validStackConfig());
    expect(runProgram()).toBeUndefined();
    await mocks.settle();
    expect(mocks.ofType("aws:ec2/vpc:Vpc")).toHaveLength(1);
  });
});
