/**
 * Worker pools and graceful termination, as the whole program declares them under
 * Pulumi mocks: one launch template + autoscaling group + drain hook per configured
 * pool, the termination queue and its rules, discovery tags, IMDS and disk settings,
 * the user-data (no secrets), and what each node role may do, decided by evaluating
 * the attached policy documents (test/unit/iam-eval.ts).
 */
import * as pulumi from "@pulumi/pulumi";
import { installPulumiMocks, RecordedResource, TEST_ACCOUNT, TEST_REGION, validStackConfig, valueOf } from "../../support/pulumi-mocks";
import { tlsState } from "../../support/tls-mocks";
import { allows, Document } from "../../support/iam-eval";

const asgArn = (name: string) => `arn:aws:autoscaling:${TEST_REGION}:${TEST_ACCOUNT}:autoScalingGroup:0b1c2d3e-aaaa-bbbb-cccc-000000000000:autoScalingGroupName/${name}`;

const mocks = installPulumiMocks({
  resourceState: (r) => {
    const base = tlsState(r) ?? {};
    switch (r.type) {
      case "aws:autoscaling/group:Group": {
        const name = `${r.inputs.namePrefix}20261121000000000000000001`;
        return { ...base, name, arn: asgArn(name) };
      }
      case "aws:ec2/launchTemplate:LaunchTemplate":
        return { ...base, latestVersion: 1 };
      case "aws:sqs/queue:Queue":
        return {
          ...base,
          name: `${r.name}-abc123`,
          url: `https://sqs.${TEST_REGION}.amazonaws.com/${TEST_ACCOUNT}/${r.name}-abc123`,
          arn: `arn:aws:sqs:${TEST_REGION}:${TEST_ACCOUNT}:${r.name}-abc123`,
        };
      case "aws:cloudwatch/eventRule:EventRule":
        return { ...base, name: `${r.name}-r`, arn: `arn:aws:events:${TEST_REGION}:${TEST_ACCOUNT}:rule/${r.name}-r` };
      default:
        return base;
    }
  },
});

import { decodeUserData } from "../../../../infra/nodes/user-data";
import type * as Workers from "../../../../infra/nodes/workers";
import type * as Config from "../../../../infra/config";

jest.setTimeout(120_000);

// The program and its modules are loaded only inside jest.isolateModules: with infra
// modules also loaded at the top level of this file (a second module registry), Pulumi's
// closure serialization of the teardown step's dynamic provider fails under Jest.
const DRAIN_HEARTBEAT_TIMEOUT_SECONDS = 600;
const NTH_MANAGED_TAG = "aws-node-termination-handler/managed";

const POOLS = [
  { name: "general", minSize: 2, maxSize: 4 },
  {
    name: "gpu",
    instanceTypes: ["g5.xlarge", "g6.xlarge"],
    minSize: 0,
    desiredSize: 1,
    maxSize: 3,
    spot: true,
    onDemandBaseCapacity: 1,
    labels: { "example.com/accelerator": "nvidia" },
    taints: [{ key: "nvidia.com/gpu", value: "present", effect: "NoSchedule" }],
    rootVolumeSizeGiB: 80,
  },
  { name: "arm", instanceTypes: ["t4g.medium"], minSize: 0, maxSize: 2 },
];
const CONFIG = validStackConfig({ nodePools: POOLS, tags: { team: "platform" } });

/** Loads the program (fresh module state) and waits for every registration. */
async function runProgram(config: Record<string, unknown>): Promise<{ error?: Error; outputs?: Record<string, unknown> }> {
  mocks.reset();
  mocks.setConfig(config);
  let error: Error | undefined;
  let outputs: Record<string, unknown> | undefined;
  jest.isolateModules(() => {
    try {
      outputs = require("../../../../infra/index"); // eslint-disable-line @typescript-eslint/no-require-imports
    } catch (e) {
      error = e as Error;
    }
  });
  await mocks.settle();
  return { error, outputs };
}

const tagMap = (tags: { key: string; value: string; propagateAtLaunch: boolean }[]) =>
  Object.fromEntries(tags.map((t) => [t.key, { value: t.value, propagate: t.propagateAtLaunch }]));

describe("the program with two pools", () => {
  let outputs: Record<string, unknown>;
  let groups: RecordedResource[];
  let templates: RecordedResource[];
  const byPool = (list: RecordedResource[], pool: string) => {
    const found = list.filter((r) => r.name.endsWith(`-${pool}`));
    expect(found).toHaveLength(1);
    return found[0];
  };

  beforeAll(async () => {
    const run = await runProgram(CONFIG);
    if (run.error) throw run.error;
    outputs = run.outputs ?? {};
    groups = mocks.ofType("aws:autoscaling/group:Group");
    templates = mocks.ofType("aws:ec2/launchTemplate:LaunchTemplate");
  });

  it("declares one launch template, one autoscaling group and one drain hook per pool", () => {
    expect(groups.map((g) => g.name).sort()).toEqual(["demo-arm", "demo-general", "demo-gpu"]);
    expect(templates.map((t) => t.name).sort()).toEqual(["demo-arm", "demo-general", "demo-gpu"]);
    const hooks = mocks.ofType("aws:autoscaling/lifecycleHook:LifecycleHook");
    expect(hooks.map((h) => h.inputs.autoscalingGroupName).sort()).toEqual(groups.map((g) => g.state.name).sort());
    for (const hook of hooks) {
      expect(hook.inputs).toMatchObject({
        lifecycleTransition: "autoscaling:EC2_INSTANCE_TERMINATING",
        heartbeatTimeout: DRAIN_HEARTBEAT_TIMEOUT_SECONDS,
        defaultResult: "CONTINUE",
      });
    }
    expect(mocks.ofType("platform:infra:NodePool")).toHaveLength(3);
  });

  it("sizes each group from the configuration and spreads it over every public subnet", () => {
    const subnets = mocks.ofType("aws:ec2/subnet:Subnet").map((s) => s.id);
    expect(subnets.length).toBeGreaterThanOrEqual(2);
    expect(byPool(groups, "general").inputs).toMatchObject({ minSize: 2, desiredCapacity: 2, maxSize: 4 });
    expect(byPool(groups, "gpu").inputs).toMatchObject({ minSize: 0, desiredCapacity: 1, maxSize: 3 });
    for (const g of groups) expect([...g.inputs.vpcZoneIdentifiers].sort()).toEqual([...subnets].sort());
  });

  it("uses a plain launch template for the on-demand pool and a spot mixed-instances policy for the other", () => {
    const general = byPool(groups, "general").inputs;
    expect(general.launchTemplate).toEqual({ id: byPool(templates, "general").id, version: "1" });
    expect(general.mixedInstancesPolicy).toBeUndefined();
    const gpu = byPool(groups, "gpu").inputs;
    expect(gpu.launchTemplate).toBeUndefined();
    expect(gpu.capacityRebalance).toBe(true);
    expect(gpu.mixedInstancesPolicy.instancesDistribution).toMatchObject({
      onDemandBaseCapacity: 1,
      onDemandPercentageAboveBaseCapacity: 0,
      spotAllocationStrategy: "price-capacity-optimized",
    });
    expect(gpu.mixedInstancesPolicy.launchTemplate.launchTemplateSpecification).toEqual({ launchTemplateId: byPool(templates, "gpu").id, version: "1" });
    expect(gpu.mixedInstancesPolicy.launchTemplate.overrides).toEqual([{ instanceType: "g5.xlarge" }, { instanceType: "g6.xlarge" }]);
  });

  it("tags groups for cluster-autoscaler discovery and scale-from-zero, and instances for the cloud and the handler", () => {
    const general = tagMap(byPool(groups, "general").inputs.tags);
    expect(general["k8s.io/cluster-autoscaler/enabled"]).toEqual({ value: "true", propagate: false });
    expect(general["k8s.io/cluster-autoscaler/demo"]).toEqual({ value: "owned", propagate: false });
    expect(general["kubernetes.io/cluster/demo"]).toEqual({ value: "owned", propagate: true });
    expect(general[NTH_MANAGED_TAG]).toEqual({ value: "true", propagate: true });
    expect(general.team).toEqual({ value: "platform", propagate: true });
    expect(Object.keys(general).filter((k) => k.includes("node-template"))).toEqual([]);

    const gpu = tagMap(byPool(groups, "gpu").inputs.tags);
    expect(gpu["k8s.io/cluster-autoscaler/node-template/label/example.com/accelerator"]).toEqual({ value: "nvidia", propagate: false });
    expect(gpu["k8s.io/cluster-autoscaler/node-template/taint/nvidia.com/gpu"]).toEqual({ value: "present:NoSchedule", propagate: false });
    for (const g of groups) expect(g.inputs.tags.length).toBeLessThanOrEqual(50);
  });

  it("requires IMDSv2 with hop limit 1 (no pod reaches the worker role), encrypts a gp3 root volume and tags instances and volumes as the cluster's", () => {
    for (const t of templates) {
      expect(t.inputs.metadataOptions).toMatchObject({ httpEndpoint: "enabled", httpTokens: "required", httpPutResponseHopLimit: 1 });
      expect(t.inputs.blockDeviceMappings).toHaveLength(1);
      expect(t.inputs.blockDeviceMappings[0]).toMatchObject({ deviceName: "/dev/sda1", ebs: { volumeType: "gp3", encrypted: "true" } });
      const kinds = t.inputs.tagSpecifications.map((s: { resourceType: string }) => s.resourceType);
      expect(kinds).toEqual(expect.arrayContaining(["instance", "volume"]));
      for (const spec of t.inputs.tagSpecifications) expect(spec.tags["kubernetes.io/cluster/demo"]).toBe("owned");
    }
    expect(byPool(templates, "general").inputs.blockDeviceMappings[0].ebs.volumeSize).toBe(30);
    expect(byPool(templates, "gpu").inputs.blockDeviceMappings[0].ebs.volumeSize).toBe(80);
  });

  it("launches with the worker instance profile and security group, in no other group", () => {
    const profile = mocks.one("aws:iam/instanceProfile:InstanceProfile", "worker");
    const sg = mocks.ofType("aws:ec2/securityGroup:SecurityGroup").find((g) => g.name.includes("worker"));
    expect(sg).toBeDefined();
    for (const t of templates) {
      expect(t.inputs.iamInstanceProfile).toEqual({ arn: profile.state.arn });
      expect(t.inputs.networkInterfaces).toEqual([expect.objectContaining({ securityGroups: [sg?.id], associatePublicIpAddress: "true" })]);
      expect(t.inputs.vpcSecurityGroupIds).toBeUndefined();
    }
  });

  it("looks up the arm64 or x86_64 Ubuntu AMI to match each pool's instance types", () => {
    const amiCalls = mocks.calls.filter((c) => c.token === "aws:ec2/getAmi:getAmi");
    const names = amiCalls.map((c) => c.inputs.filters.find((f: { name: string }) => f.name === "name")?.values[0]);
    expect(names).toContain("ubuntu/images/hvm-ssd-gp3/ubuntu-noble-24.04-amd64-server-*");
    expect(names).toContain("ubuntu/images/hvm-ssd-gp3/ubuntu-noble-24.04-arm64-server-*");
    const arm = amiCalls.filter((c) => c.inputs.filters.some((f: { name: string; values: string[] }) => f.name === "architecture" && f.values[0] === "arm64"));
    expect(arm.length).toBeGreaterThanOrEqual(1);
  });

  it("renders user-data with the pool's values and the join secret's ARN, but no secret", () => {
    const secret = mocks.ofType("aws:secretsmanager/secret:Secret").find((s) => s.name.endsWith("-join"));
    for (const t of templates) {
      const text = decodeUserData(t.inputs.userData);
      expect(text).not.toMatch(/-----BEGIN [A-Z ]+-----/);
      expect(text).not.toMatch(/[a-z0-9]{6}\.[a-z0-9]{16}/);
      expect(text).toContain(`JOIN_SECRET_ARN='${secret?.state.arn}'`);
      expect(text).toContain("BOOTSTRAP_STEPS='worker-join'");
    }
    const gpu = decodeUserData(byPool(templates, "gpu").inputs.userData);
    expect(gpu).toContain("NODE_LABELS='example.com/accelerator=nvidia'");
    expect(gpu).toContain("NODE_TAINTS='nvidia.com/gpu=present:NoSchedule'");
  });

  it("routes every termination event to one encrypted queue that only the cluster's rules may write to", () => {
    const queue = mocks.one("aws:sqs/queue:Queue", "-node-termination");
    expect(queue.inputs.sqsManagedSseEnabled).toBe(true);
    const rules = mocks.ofType("aws:cloudwatch/eventRule:EventRule").filter((r) => r.name.includes("-nth-"));
    const patterns = rules.map((r) => JSON.parse(r.inputs.eventPattern));
    const detailTypes = patterns.flatMap((p) => p["detail-type"]).sort();
    expect(detailTypes).toEqual(
      [
        "AWS Health Event",
        "EC2 Instance Rebalance Recommendation",
        "EC2 Instance State-change Notification",
        "EC2 Instance-terminate Lifecycle Action",
        "EC2 Spot Instance Interruption Warning",
      ].sort(),
    );
    const lifecycle = patterns.find((p) => p["detail-type"][0] === "EC2 Instance-terminate Lifecycle Action");
    expect([...lifecycle.detail.AutoScalingGroupName].sort()).toEqual(groups.map((g) => g.state.name).sort());

    const targets = mocks.ofType("aws:cloudwatch/eventTarget:EventTarget").filter((t) => t.name.includes("-nth-"));
    expect(targets.map((t) => t.inputs.rule).sort()).toEqual(rules.map((r) => r.state.name).sort());
    for (const t of targets) expect(t.inputs.arn).toBe(queue.state.arn);

    const queuePolicy = JSON.parse(mocks.one("aws:sqs/queuePolicy:QueuePolicy", "-node-termination").inputs.policy);
    const [st] = queuePolicy.Statement;
    expect(st).toMatchObject({ Effect: "Allow", Action: "sqs:SendMessage", Resource: queue.state.arn });
    expect([...st.Condition.ArnEquals["aws:SourceArn"]].sort()).toEqual(rules.map((r) => r.state.arn).sort());
  });

  it("exports the pools' group names and the queue URL", async () => {
    const asgs = await valueOf(outputs.workerAutoscalingGroups as pulumi.Output<Record<string, string>>);
    expect(asgs).toEqual({
      general: byPool(groups, "general").state.name,
      gpu: byPool(groups, "gpu").state.name,
      arm: byPool(groups, "arm").state.name,
    });
    expect(await valueOf(outputs.nodeTerminationQueueUrl as pulumi.Output<string>)).toBe(mocks.one("aws:sqs/queue:Queue", "-node-termination").state.url);
  });

  describe("what the node roles may do (policy documents evaluated)", () => {
    const roleName = (fragment: string) => mocks.one("aws:iam/role:Role", fragment).state.name as string;
    /** Inline and customer-managed documents of a role, plus the names of AWS-managed ones. */
    function policiesOf(role: string): { docs: Document[]; awsManaged: string[] } {
      const docs = mocks
        .ofType("aws:iam/rolePolicy:RolePolicy")
        .filter((p) => p.inputs.role === role)
        .map((p) => JSON.parse(p.inputs.policy) as Document);
      const awsManaged: string[] = [];
      for (const a of mocks.ofType("aws:iam/rolePolicyAttachment:RolePolicyAttachment").filter((x) => x.inputs.role === role)) {
        const custom = mocks.ofType("aws:iam/policy:Policy").find((p) => p.state.arn === a.inputs.policyArn);
        if (custom) docs.push(JSON.parse(custom.inputs.policy));
        else awsManaged.push(String(a.inputs.policyArn).replace(/^arn:aws:iam::aws:policy\//, ""));
      }
      return { docs, awsManaged };
    }
    const secretArn = (suffix: string) => mocks.ofType("aws:secretsmanager/secret:Secret").find((s) => s.name.endsWith(suffix))?.state.arn as string;
    const viaSecretsManager = { "kms:ViaService": `secretsmanager.${TEST_REGION}.amazonaws.com` };

    it("lets workers read the join secret, and nothing else of Secrets Manager", () => {
      const { docs, awsManaged } = policiesOf(roleName("worker"));
      const join = secretArn("-join");
      const pki = secretArn("-pki");
      expect(allows(docs, "secretsmanager:GetSecretValue", join)).toBe(true);
      expect(allows(docs, "secretsmanager:PutSecretValue", join)).toBe(false);
      expect(allows(docs, "secretsmanager:UpdateSecret", join)).toBe(false);
      expect(allows(docs, "secretsmanager:DeleteSecret", join)).toBe(false);
      expect(allows(docs, "secretsmanager:GetSecretValue", pki)).toBe(false);
      expect(allows(docs, "secretsmanager:GetSecretValue", `arn:aws:secretsmanager:${TEST_REGION}:${TEST_ACCOUNT}:secret:other/join-x`)).toBe(false);
      const key = mocks.one("aws:kms/key:Key").state.arn;
      expect(allows(docs, "kms:Decrypt", key, viaSecretsManager)).toBe(true);
      expect(allows(docs, "kms:Decrypt", key)).toBe(false);
      // The AWS-managed policies are not in the repository: pin the list (it grants no Secrets Manager access).
      expect(awsManaged.sort()).toEqual(["AmazonEC2ContainerRegistryReadOnly"]);
    });

    it("lets the control plane write the join secret, and not the PKI secret", () => {
      const { docs } = policiesOf(roleName("control-plane"));
      expect(allows(docs, "secretsmanager:PutSecretValue", secretArn("-join"))).toBe(true);
      expect(allows(docs, "secretsmanager:GetSecretValue", secretArn("-join"))).toBe(true);
      expect(allows(docs, "secretsmanager:PutSecretValue", secretArn("-pki"))).toBe(false);
      expect(allows(docs, "kms:GenerateDataKey", mocks.one("aws:kms/key:Key").state.arn, viaSecretsManager)).toBe(true);
    });

    it("gives the termination handler its queue and this cluster's lifecycle hooks, on its own role only", () => {
      const cp = policiesOf(roleName("-sa-node-termination-handler")).docs;
      const worker = [...policiesOf(roleName("worker")).docs, ...policiesOf(roleName("control-plane")).docs];
      const queue = mocks.one("aws:sqs/queue:Queue", "-node-termination").state.arn;
      for (const action of ["sqs:ReceiveMessage", "sqs:DeleteMessage"]) {
        expect(allows(cp, action, queue)).toBe(true);
        expect(allows(cp, action, `arn:aws:sqs:${TEST_REGION}:${TEST_ACCOUNT}:someone-elses-queue`)).toBe(false);
        expect(allows(worker, action, queue)).toBe(false);
      }
      for (const g of groups) expect(allows(cp, "autoscaling:CompleteLifecycleAction", g.state.arn)).toBe(true);
      expect(allows(cp, "autoscaling:CompleteLifecycleAction", asgArn("other-cluster-pool"))).toBe(false);
      expect(allows(worker, "autoscaling:CompleteLifecycleAction", groups[0].state.arn)).toBe(false);
      expect(allows(cp, "ec2:DescribeInstances", "*")).toBe(true);
    });

    it("lets the cluster autoscaler resize only groups tagged for this cluster, from its own role only", () => {
      const cp = policiesOf(roleName("-sa-cluster-autoscaler")).docs;
      const worker = [...policiesOf(roleName("worker")).docs, ...policiesOf(roleName("control-plane")).docs];
      const ours = { "aws:ResourceTag/k8s.io/cluster-autoscaler/demo": "owned" };
      const theirs = { "aws:ResourceTag/k8s.io/cluster-autoscaler/other": "owned" };
      for (const action of ["autoscaling:SetDesiredCapacity", "autoscaling:TerminateInstanceInAutoScalingGroup"]) {
        expect(allows(cp, action, groups[0].state.arn, ours)).toBe(true);
        expect(allows(cp, action, asgArn("x"), theirs)).toBe(false);
        expect(allows(cp, action, asgArn("x"))).toBe(false);
        expect(allows(worker, action, groups[0].state.arn, ours)).toBe(false);
      }
      expect(allows(cp, "ec2:DescribeLaunchTemplateVersions", "*")).toBe(true);
    });

    it("no node role grants what only a workload needs, and every other role trusts one service account", () => {
      const nodeDocs = [...policiesOf(roleName("worker")).docs, ...policiesOf(roleName("control-plane")).docs];
      const queue = mocks.one("aws:sqs/queue:Queue", "-node-termination").state.arn;
      const tagged = { "aws:ResourceTag/kubernetes.io/cluster/demo": "owned", "aws:ResourceTag/k8s.io/cluster-autoscaler/demo": "owned" };
      const workloadOnly: [string, string][] = [
        ["sqs:ReceiveMessage", queue],
        ["autoscaling:SetDesiredCapacity", groups[0].state.arn],
        ["autoscaling:CompleteLifecycleAction", groups[0].state.arn],
        ["ec2:CreateVolume", `arn:aws:ec2:${TEST_REGION}:${TEST_ACCOUNT}:volume/vol-1`],
        ["logs:PutLogEvents", `arn:aws:logs:${TEST_REGION}:${TEST_ACCOUNT}:log-group:x:log-stream:y`],
        ["cloudwatch:GetMetricData", "*"],
        ["ssm:GetParameter", `arn:aws:ssm:${TEST_REGION}:${TEST_ACCOUNT}:parameter/x`],
      ];
      expect(workloadOnly.filter(([action, resource]) => allows(nodeDocs, action, resource, tagged))).toEqual([]);
      for (const role of mocks.ofType("aws:iam/role:Role").filter((r) => !/-(worker|control-plane)$/.test(r.name) && !r.name.includes("-ci-"))) {
        const trust = JSON.parse(role.inputs.assumeRolePolicy);
        expect({ role: role.name, statements: trust.Statement.length, action: trust.Statement[0].Action }).toEqual({
          role: role.name,
          statements: 1,
          action: ["sts:AssumeRoleWithWebIdentity"],
        });
        expect(Object.keys(trust.Statement[0].Condition.StringEquals).sort()).toEqual([expect.stringMatching(/:aud$/), expect.stringMatching(/:sub$/)]);
      }
    });

    it("a worker cannot mark any instance unhealthy (a failed boot powers itself off), nor do anything else of Auto Scaling", () => {
      const worker = policiesOf(roleName("worker")).docs;
      const tagged = { "aws:ResourceTag/kubernetes.io/cluster/demo": "owned" };
      expect(allows(worker, "autoscaling:SetInstanceHealth", groups[0].state.arn, tagged)).toBe(false);
      expect(allows(worker, "autoscaling:SetInstanceHealth", asgArn("x"), { "aws:ResourceTag/kubernetes.io/cluster/other": "owned" })).toBe(false);
      expect(allows(worker, "autoscaling:UpdateAutoScalingGroup", groups[0].state.arn, tagged)).toBe(false);
    });
  });
});

describe("the program with a bad node pool", () => {
  it("declares no resource at all and names the pool and key", async () => {
    const run = await runProgram(validStackConfig({ nodePools: [{ name: "gpu", minSize: 3, maxSize: 1 }] }));
    expect(run.error?.name).toBe("ConfigError");
    expect(run.error?.message).toContain("nodePools[0](gpu).maxSize: got 1");
    expect(mocks.resources).toEqual([]);
  });
});

describe("NodePool resource options", () => {
  it("leaves desired capacity to the cluster autoscaler after creation (ignoreChanges)", async () => {
    mocks.reset();
    const options: Record<string, pulumi.CustomResourceOptions> = {};
    let workers!: typeof Workers;
    let configModule!: typeof Config;
    jest.isolateModules(() => {
      workers = require("../../../../infra/nodes/workers"); // eslint-disable-line @typescript-eslint/no-require-imports
      configModule = require("../../../../infra/config"); // eslint-disable-line @typescript-eslint/no-require-imports
    });
    expect(workers.DRAIN_HEARTBEAT_TIMEOUT_SECONDS).toBe(DRAIN_HEARTBEAT_TIMEOUT_SECONDS);
    expect(workers.NTH_MANAGED_TAG).toBe(NTH_MANAGED_TAG);
    const config = configModule.parseConfig(validStackConfig(), { region: TEST_REGION });
    new workers.NodePool(
      "probe",
      {
        clusterName: "demo",
        region: TEST_REGION,
        kubernetesVersion: config.cluster.kubernetesVersion,
        pool: config.nodePools.nodePools[0],
        joinTimeoutMinutes: 30,
        subnetIds: ["subnet-a", "subnet-b"],
        securityGroupId: "sg-1",
        instanceProfileArn: "arn:aws:iam::123456789012:instance-profile/w",
        joinSecretArn: "arn:aws:secretsmanager:us-east-1:123456789012:secret:demo/join-AbCdEf",
      },
      {
        transformations: [
          (args) => {
            options[args.type] = args.opts;
            return undefined;
          },
        ],
      },
    );
    await mocks.settle();
    expect(options["aws:autoscaling/group:Group"].ignoreChanges).toEqual(["desiredCapacity"]);
    expect(options["aws:ec2/launchTemplate:LaunchTemplate"].ignoreChanges).toBeUndefined();
  });
});

describe("the program's upgrade ordering", () => {
  it("gives every pool's launch template a user-data that waits for the control plane's upgrade association", async () => {
    mocks.reset();
    mocks.setConfig(CONFIG);
    const userData: Record<string, pulumi.Output<string>> = {};
    jest.isolateModules(() => {
      // Record each launch template's userData input as the program passes it (an Output), before Pulumi resolves it.
      const mod = require("@pulumi/pulumi/runtime/resource") as Record<string, (...args: unknown[]) => unknown>; // eslint-disable-line @typescript-eslint/no-require-imports
      const original = mod.registerResource;
      mod.registerResource = (...args: unknown[]) => {
        const [, , type, name, , , , props] = args as [unknown, unknown, string, string, unknown, unknown, unknown, Record<string, pulumi.Output<string>>];
        if (type === "aws:ec2/launchTemplate:LaunchTemplate") userData[name] = props.userData;
        return original(...args);
      };
      require("../../../../infra/index"); // eslint-disable-line @typescript-eslint/no-require-imports
    });
    await mocks.settle();
    expect(Object.keys(userData).sort()).toEqual(["demo-arm", "demo-general", "demo-gpu"]);
    for (const [name, output] of Object.entries(userData)) {
      const deps = await (output as unknown as { allResources(): Promise<Set<pulumi.Resource>> }).allResources();
      const urns = await Promise.all([...deps].map((r) => valueOf(r.urn)));
      expect({ name, waitsForUpgrade: urns.some((u) => u.includes("aws:ssm/association:Association::")) }).toEqual({ name, waitsForUpgrade: true });
    }
  });
});
