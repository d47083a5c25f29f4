/**
 * Bad configurations run through the program as Pulumi runs it (infra/main.ts: the
 * checks with the region's lookups, then the resources), under mocks. Each one must
 * stop the program with a `pulumi.RunError`, declare no resource of any provider,
 * and report exactly one message per independent problem, each naming the key, the
 * value and what is allowed. The lookups (zones, instance types, AMIs) are answered
 * by the mocks.
 */
import { installPulumiMocks, RegionFacts, TEST_AMI, validStackConfig } from "../../support/pulumi-mocks";

const mocks = installPulumiMocks();

import * as pulumi from "@pulumi/pulumi";

jest.setTimeout(120_000);

interface Run {
  readonly outputs?: Record<string, unknown>;
  readonly error?: Error & { problems?: { key: string; value: unknown; allowed: string }[] };
  /** What the program printed as Pulumi warnings. */
  readonly warnings: string[];
}

type Program = () => Promise<Record<string, unknown>>;
let loaded: Program | undefined;

/**
 * Runs infra/main.ts's program with `config` (and `region`, unless `null`), as
 * `pulumi preview` would. `fresh` loads it in a new module registry, as a process
 * would: needed when it gets as far as declaring resources (infra/index.ts declares
 * them when it is loaded). A program that stops at the checks loads nothing more,
 * so those runs share one loaded copy (loading @pulumi/aws and the charts takes
 * seconds each time).
 */
async function runProgram(
  config: Record<string, unknown>,
  opts: { region?: string | null; facts?: RegionFacts; fresh?: boolean } = {},
): Promise<Run> {
  mocks.reset();
  if (opts.region === undefined) mocks.setConfig(config);
  else mocks.setConfig(config, opts.region ?? undefined);
  if (opts.facts) mocks.setRegionFacts(opts.facts);
  const warn = jest.spyOn(console, "warn").mockImplementation(() => undefined);
  let outputs: Record<string, unknown> | undefined;
  let error: Run["error"];
  const run = async (program: Program) => {
    try {
      outputs = await program();
    } catch (e) {
      error = e as Run["error"];
    }
  };
  try {
    if (opts.fresh) {
      await jest.isolateModulesAsync(() => run(require("../../../../infra/main") as Program)); // eslint-disable-line @typescript-eslint/no-require-imports
    } else {
      if (!loaded) jest.isolateModules(() => (loaded = require("../../../../infra/main") as Program)); // eslint-disable-line @typescript-eslint/no-require-imports
      await run(loaded!);
      // The shared copy must never get as far as infra/index.ts.
      if (error === undefined) throw new Error("the configuration passed: run it with { fresh: true }");
    }
    await mocks.settle();
    return { outputs, error, warnings: warn.mock.calls.map((c) => String(c[0])) };
  } finally {
    warn.mockRestore();
  }
}

interface Expected {
  readonly key: string;
  /** How the value appears after "got ". */
  readonly got: string;
  /** A fragment of what is allowed. */
  readonly allowed: string;
}

interface BadCase {
  readonly what: string;
  readonly config: Record<string, unknown>;
  readonly region?: string | null;
  readonly facts?: RegionFacts;
  /** Every problem, exactly: one per independent mistake. */
  readonly problems: readonly Expected[];
}

const ok = validStackConfig();
const pool = (extra: Record<string, unknown>) => ({ name: "general", minSize: 1, maxSize: 3, ...extra });
const THREE_ZONES = ["us-east-1a", "us-east-1b", "us-east-1c"];

const BAD_CASES: readonly BadCase[] = [
  // Lookups: answered by the region, before any resource.
  {
    what: "more availability zones than the region offers",
    config: { ...ok, availabilityZoneCount: "4" },
    facts: { availabilityZones: THREE_ZONES },
    problems: [{ key: "availabilityZoneCount", got: "4", allowed: "at most 3, the number of available zones in us-east-1" }],
  },
  {
    what: "a misspelt control-plane instance type",
    config: { ...ok, controlPlaneInstanceType: "t3.meduim" },
    problems: [{ key: "controlPlaneInstanceType", got: '"t3.meduim"', allowed: "offered in us-east-1 (did you mean t3.medium?)" }],
  },
  {
    what: "a misspelt pool instance type",
    config: { ...ok, nodePools: [pool({ instanceTypes: ["m5.larg"] })] },
    problems: [{ key: "nodePools[0](general).instanceTypes[0]", got: '"m5.larg"', allowed: "did you mean m5.large?" }],
  },
  {
    what: "a spot alternative the region does not offer",
    config: { ...ok, nodePools: [pool({ instanceTypes: ["m5.large", "m6i.large", "m9z.large"], spot: true })] },
    problems: [{ key: "nodePools[0](general).instanceTypes[2]", got: '"m9z.large"', allowed: "an EC2 instance type offered in us-east-1" }],
  },
  {
    what: "a GPU type this region does not offer",
    config: { ...ok, nodePools: [pool({ instanceTypes: ["g5.xlarge"] })] },
    facts: { instanceTypes: ["t3.medium", "t3.large", "g6.xlarge"] },
    problems: [{ key: "nodePools[0](general).instanceTypes[0]", got: '"g5.xlarge"', allowed: "(did you mean g6.xlarge?)" }],
  },
  {
    what: "an AMI that does not exist in the region",
    config: { ...ok, amiId: "ami-0aaaaaaaaaaaaaaaa" },
    facts: { images: { [TEST_AMI]: "x86_64" } },
    problems: [{ key: "amiId", got: '"ami-0aaaaaaaaaaaaaaaa"', allowed: "an AMI that exists in us-east-1" }],
  },
  {
    what: "an arm64 AMI for an x86_64 control plane",
    config: { ...ok, amiId: "ami-0bbbbbbbbbbbbbbbb" },
    facts: { images: { "ami-0bbbbbbbbbbbbbbbb": "arm64" } },
    problems: [{ key: "amiId", got: '"ami-0bbbbbbbbbbbbbbbb"', allowed: "an AMI for x86_64, the architecture of t3.medium (this image is arm64)" }],
  },
  {
    what: "a pool AMI of the wrong architecture",
    config: { ...ok, nodePools: [pool({ instanceTypes: ["t4g.medium"], amiId: TEST_AMI })] },
    facts: { images: { [TEST_AMI]: "x86_64" } },
    problems: [{ key: "nodePools[0](general).amiId", got: `"${TEST_AMI}"`, allowed: "an AMI for arm64, the architecture of t4g.medium" }],
  },
  // Lists whose entries name resources.
  {
    what: "the same API CIDR twice",
    config: { ...ok, apiAllowedCidrs: ["203.0.113.7/32", "198.51.100.0/24", "203.0.113.7/32"] },
    problems: [{ key: "apiAllowedCidrs[2]", got: '"203.0.113.7/32"', allowed: "a block not already in the list (apiAllowedCidrs[0] is the same)" }],
  },
  {
    what: "the same SSH CIDR twice",
    config: { ...ok, sshKeyName: "ops", sshAllowedCidrs: ["198.51.100.0/24", "198.51.100.0/24"] },
    problems: [{ key: "sshAllowedCidrs[1]", got: '"198.51.100.0/24"', allowed: "each entry becomes a security group rule of its own" }],
  },
  {
    what: "the same NodePort CIDR twice",
    config: { ...ok, nodePortAllowedCidrs: ["10.20.0.0/16", "10.20.0.0/16"] },
    problems: [{ key: "nodePortAllowedCidrs[1]", got: '"10.20.0.0/16"', allowed: "nodePortAllowedCidrs[0] is the same" }],
  },
  {
    what: "the same certificate name twice",
    config: { ...ok, apiServerCertSans: ["api.example.com", "api.example.com"] },
    problems: [{ key: "apiServerCertSans[1]", got: '"api.example.com"', allowed: "an entry not already in the list (apiServerCertSans[0] is the same)" }],
  },
  {
    what: "two pools with one name",
    config: { ...ok, nodePools: [pool({}), pool({})] },
    problems: [{ key: "nodePools[1](general).name", got: '"general"', allowed: "a name not used by another pool" }],
  },
  {
    what: "a chart listed twice",
    config: { ...ok, workloads: { charts: ["prometheus", "prometheus"] } },
    problems: [{ key: "workloads.charts", got: '["prometheus","prometheus"]', allowed: "each chart id at most once (prometheus repeats)" }],
  },
  {
    what: "the same taint twice",
    config: {
      ...ok,
      nodePools: [pool({ taints: [{ key: "dedicated", value: "a", effect: "NoSchedule" }, { key: "dedicated", value: "b", effect: "NoSchedule" }] })],
    },
    problems: [{ key: "nodePools[0](general).taints[1].key", got: '"dedicated"', allowed: "dedicated:NoSchedule is listed twice" }],
  },
  // One mistake, one message.
  {
    what: "a bad cluster name (and nothing about the chart values derived from it)",
    config: { ...ok, clusterName: "Bad_Name" },
    problems: [{ key: "clusterName", got: '"Bad_Name"', allowed: "a DNS label" }],
  },
  {
    what: "no region (and no lookup, nothing derived from it)",
    config: ok,
    region: null,
    problems: [{ key: "aws:region", got: "nothing (the key is missing)", allowed: "pulumi config set aws:region" }],
  },
  {
    what: "a malformed region",
    config: ok,
    region: "Frankfurt",
    problems: [{ key: "aws:region", got: '"Frankfurt"', allowed: "an AWS region such as us-east-1" }],
  },
  // Every independent problem in one run.
  {
    what: "a cluster mistake and a chart without the chart it needs",
    config: { ...ok, vpcCidr: "10.0.0.0/8", workloads: { charts: ["grafana"] } },
    problems: [
      { key: "vpcCidr", got: '"10.0.0.0/8"', allowed: "from /16 to /24" },
      { key: "workloads.charts", got: '["grafana"]', allowed: "includes cluster-issuers" },
    ],
  },
  {
    what: "a bad cluster name and a misspelt instance type",
    config: { ...ok, clusterName: "-x", controlPlaneInstanceType: "t3.meduim" },
    problems: [
      { key: "clusterName", got: '"-x"', allowed: "a DNS label" },
      { key: "controlPlaneInstanceType", got: '"t3.meduim"', allowed: "did you mean t3.medium?" },
    ],
  },
  {
    what: "object-detection without its queues, and a bad pod CIDR",
    config: { ...ok, podCidr: "10.0.0.0/12", objectDetection: { enabled: false } },
    problems: [
      { key: "podCidr", got: '"10.0.0.0/12"', allowed: "does not overlap vpcCidr 10.0.0.0/16" },
      { key: "workloads.charts", got: '["cluster-issuers","object-detection","prometheus","grafana","fluentd"]', allowed: "object-detection only together with objectDetection.enabled: true" },
    ],
  },
  {
    what: "three mistakes in three sections",
    config: { ...ok, etcdBackupIntervalMinutes: "1", observability: { logRetentionDays: 10 }, workloads: { apiReadyTimeoutMinutes: 2 } },
    problems: [
      { key: "etcdBackupIntervalMinutes", got: "1", allowed: "an integer from 5 to 1440" },
      { key: "observability.logRetentionDays", got: "10", allowed: "one of the periods CloudWatch Logs accepts" },
      { key: "workloads.apiReadyTimeoutMinutes", got: "2", allowed: "an integer from 5 to 60" },
    ],
  },
  // Others a new user runs into.
  {
    what: "a typo in a key",
    config: { ...ok, sshAllowedCidr: ["198.51.100.0/24"] },
    problems: [{ key: "sshAllowedCidr", got: '"[\\"198.51.100.0/24\\"]"', allowed: "a known key (one of: clusterName," }],
  },
  {
    what: "a pool whose minimum exceeds its maximum",
    config: { ...ok, nodePools: [pool({ minSize: 5, maxSize: 3 })] },
    problems: [{ key: "nodePools[0](general).maxSize", got: "3", allowed: "an integer of at least minSize (5)" }],
  },
  {
    what: "a node label the kubelet may not set",
    config: { ...ok, nodePools: [pool({ labels: { "node-role.kubernetes.io/worker": "" } })] },
    problems: [{ key: 'nodePools[0](general).labels["node-role.kubernetes.io/worker"]', got: '"node-role.kubernetes.io/worker"', allowed: "a label key the kubelet may set on its own Node" }],
  },
  {
    what: "a taint effect that does not exist",
    config: { ...ok, nodePools: [pool({ taints: [{ key: "gpu", effect: "NoScheduling" }] })] },
    problems: [{ key: "nodePools[0](general).taints[0].effect", got: '"NoScheduling"', allowed: "one of NoSchedule, PreferNoSchedule, NoExecute" }],
  },
  {
    what: "a tag value that is a fraction",
    config: { ...ok, tags: { version: 1.5 } },
    problems: [{ key: 'tags["version"]', got: "1.5", allowed: "a string of 0-256 characters" }],
  },
  {
    what: "a reserved tag key",
    config: { ...ok, tags: { Name: "mine" } },
    problems: [{ key: 'tags["Name"]', got: '"Name"', allowed: "a tag key the platform does not set itself" }],
  },
  {
    what: "a rotation longer than half the token lifetime",
    config: { ...ok, joinTokenTtlHours: "4", joinTokenRotationHours: "3" },
    problems: [{ key: "joinTokenRotationHours", got: "3", allowed: "an integer from 1 to 2" }],
  },
  {
    what: "an unsupported Kubernetes minor",
    config: { ...ok, kubernetesVersion: "1.30.2" },
    problems: [{ key: "kubernetesVersion", got: '"1.30.2"', allowed: "whose minor is supported upstream" }],
  },
  {
    what: "an empty pool list",
    config: { ...ok, nodePools: [] },
    problems: [{ key: "nodePools", got: "[]", allowed: "a list of 1 to 10 pools" }],
  },
  {
    what: "a boolean written as yes",
    config: { ...ok, workloads: { enabled: "yes" } },
    problems: [{ key: "workloads.enabled", got: '"yes"', allowed: "true or false" }],
  },
  {
    what: "subnets too small for the zones",
    config: { ...ok, vpcCidr: "10.0.0.0/24", subnetPrefixLength: "24" },
    problems: [{ key: "subnetPrefixLength", got: "24", allowed: "2 subnets (one per availability zone) fit inside vpcCidr 10.0.0.0/24" }],
  },
  {
    what: "an opt-in chart listed without enabling it",
    config: { ...ok, workloads: { charts: ["dask"] } },
    // Two things to change, so two messages: enable it, and deploy what issues its certificate.
    problems: [
      { key: "workloads.charts", got: '["dask"]', allowed: "dask need workloads.values.<chart>.enabled: true" },
      { key: "workloads.charts", got: '["dask"]', allowed: "includes cluster-issuers, which issues the certificates these charts request: dask" },
    ],
  },
  {
    what: "a bad chart value",
    config: { ...ok, workloads: { values: { global: { domain: "Not A Domain" } } } },
    problems: [{ key: "workloads.values.global.domain", got: '"Not A Domain"', allowed: "" }],
  },
];

const RUN_ERROR = "RunError";

describe("bad configurations through the program", () => {
  it("has at least 30 distinct cases", () => {
    expect(new Set(BAD_CASES.map((c) => c.what)).size).toBe(BAD_CASES.length);
    expect(BAD_CASES.length).toBeGreaterThanOrEqual(30);
  });

  it.each(BAD_CASES)("stops on $what: no resource, one message per problem", async (c) => {
    const run = await runProgram(c.config, { region: c.region, facts: c.facts });
    expect(run.outputs).toBeUndefined();
    expect(run.error).toBeDefined();
    expect(pulumi.RunError.isInstance(run.error)).toBe(true);
    // Nothing of any provider (aws, tls, random, kubernetes) and no component.
    expect(mocks.resources).toEqual([]);
    const lines = run.error!.message.split("\n").filter((l) => l.startsWith("  - "));
    expect(lines).toHaveLength(c.problems.length);
    for (const p of c.problems) {
      const line = lines.find((l) => l.startsWith(`  - ${p.key}: got `) && l.includes(p.allowed));
      expect({ key: p.key, line }).toEqual({ key: p.key, line: expect.stringContaining(`${p.key}: got ${p.got}; allowed: `) });
      expect(line!.slice(line!.indexOf("; allowed: "))).toContain(p.allowed);
    }
    expect(run.error!.message).toMatch(new RegExp(`^Invalid stack configuration \\(${c.problems.length} problems?\\); nothing was created:`));
  });

  it("looks the region up only when the region is valid, and never declares before the lookups answer", async () => {
    const run = await runProgram(ok, { region: null });
    expect(run.error?.name).toBe("ConfigError");
    expect(mocks.calls).toEqual([]);
    await runProgram({ ...ok, controlPlaneInstanceType: "t3.meduim" });
    expect(mocks.calls.map((c) => c.token)).toEqual(
      expect.arrayContaining(["aws:index/getAvailabilityZones:getAvailabilityZones", "aws:ec2/getInstanceTypeOfferings:getInstanceTypeOfferings"]),
    );
    expect(mocks.resources).toEqual([]);
  });

  it("is a RunError, so Pulumi prints the message and no stack", async () => {
    const run = await runProgram({ ...ok, clusterName: "Bad" });
    expect(run.error?.constructor.name).toBe("StackConfigError");
    expect(Object.getPrototypeOf(Object.getPrototypeOf(run.error)).constructor.name).toBe(RUN_ERROR);
  });
});

describe("values as the documented commands store them", () => {
  it("accepts numbers and booleans where the key means text (pulumi config set --path)", async () => {
    const run = await runProgram(
      {
        ...ok,
        tags: { "cost-center": 42, billable: true },
        nodePools: [pool({ labels: { "example.com/gpu": true, "example.com/generation": 5 } })],
        sshKeyName: 42,
      },
      { fresh: true },
    );
    expect(run.error).toBeUndefined();
    const vpc = mocks.one("aws:ec2/vpc:Vpc");
    expect(vpc.inputs.tags).toMatchObject({ "cost-center": "42", billable: "true" });
    const template = mocks.one("aws:ec2/launchTemplate:LaunchTemplate");
    expect(template.inputs.keyName).toBe("42");
  });

  it("installs sshKeyName on the worker launch templates as on the control plane", async () => {
    const run = await runProgram({ ...ok, sshKeyName: "ops", nodePools: [pool({}), pool({ name: "more" })] }, { fresh: true });
    expect(run.error).toBeUndefined();
    expect(mocks.ofType("aws:ec2/launchTemplate:LaunchTemplate").map((t) => t.inputs.keyName)).toEqual(["ops", "ops"]);
    expect(mocks.one("aws:ec2/instance:Instance").inputs.keyName).toBe("ops");
  });
});

describe("risky values that are allowed", () => {
  it("warns about SSH open to the internet, naming the key and Session Manager, and still deploys", async () => {
    const run = await runProgram({ ...ok, sshKeyName: "ops", sshAllowedCidrs: ["0.0.0.0/0"], apiAllowedCidrs: ["0.0.0.0/0"] }, { fresh: true });
    expect(run.error).toBeUndefined();
    expect(run.warnings).toEqual(
      expect.arrayContaining([
        expect.stringMatching(/sshAllowedCidrs\[0\]: "0\.0\.0\.0\/0" opens SSH .*Session Manager/),
        expect.stringMatching(/apiAllowedCidrs\[0\]: "0\.0\.0\.0\/0" opens the Kubernetes API server/),
      ]),
    );
    expect(mocks.ofType("aws:ec2/vpc:Vpc")).toHaveLength(1);
  });

  it("prints no configuration warning for the safe defaults", async () => {
    const run = await runProgram(ok, { fresh: true });
    expect(run.error).toBeUndefined();
    expect(run.warnings.filter((w) => /Cidrs|nodePools/.test(w))).toEqual([]);
  });
});
