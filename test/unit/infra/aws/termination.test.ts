/**
 * The pure pieces of worker pools and graceful termination: the IAM documents as
 * golden files (test/golden/iam/, UPDATE_GOLDEN=1 rewrites them), the EventBridge
 * patterns, and the group tags.
 */
import { parseConfig } from "../../../../infra/config";
import { terminationEventRules } from "../../../../infra/aws/termination";
import { asgTags, usesMixedInstancesPolicy } from "../../../../infra/nodes/workers";
import { asgArnPattern, nodeLifecyclePolicy, terminationQueuePolicy } from "../../../../infra/policies/node-lifecycle";
import { allows } from "../../support/iam-eval";
import { goldenIn } from "../../support/golden";

const CTX = { partition: "aws", region: "us-east-1", accountId: "123456789012", clusterName: "demo" };
const QUEUE = "arn:aws:sqs:us-east-1:123456789012:demo-node-termination-queue-abc123";
const ASGS = ["demo-general-20260101000000000000000001", "demo-gpu-20260101000000000000000002"];

const expectGolden = goldenIn("iam");

describe("IAM documents", () => {
  it("node lifecycle (termination handler + cluster autoscaler) matches the golden file", () => {
    expectGolden("control-plane-node-lifecycle.json", nodeLifecyclePolicy({ ctx: CTX, queueArn: QUEUE, asgNames: ASGS }));
  });

  it("termination queue policy matches the golden file", () => {
    expectGolden(
      "termination-queue-policy.json",
      terminationQueuePolicy(QUEUE, ["arn:aws:events:us-east-1:123456789012:rule/demo-asg-lifecycle", "arn:aws:events:us-east-1:123456789012:rule/demo-spot-interruption"]),
    );
  });

  it("uses '*' only on Describe/Get calls, which have no resource-level permissions", () => {
    const docs = [nodeLifecyclePolicy({ ctx: CTX, queueArn: QUEUE, asgNames: ASGS })];
    for (const st of docs.flatMap((d) => d.Statement)) {
      if (st.Resource === "*") for (const a of st.Action) expect(a).toMatch(/^(autoscaling|ec2):(Describe|Get)/);
    }
  });

  it("names a group exactly by account, region and name", () => {
    expect(asgArnPattern(CTX, "g")).toBe("arn:aws:autoscaling:us-east-1:123456789012:autoScalingGroup:*:autoScalingGroupName/g");
    const doc = nodeLifecyclePolicy({ ctx: CTX, queueArn: QUEUE, asgNames: ASGS });
    const other = "arn:aws:autoscaling:us-east-1:999999999999:autoScalingGroup:x:autoScalingGroupName/demo-general-20260101000000000000000001";
    expect(allows([doc], "autoscaling:CompleteLifecycleAction", other)).toBe(false);
  });
});

describe("EventBridge patterns", () => {
  it("limit lifecycle events to this cluster's groups and state changes to the ones the handler acts on", () => {
    const rules = terminationEventRules(ASGS);
    expect(rules.map((r) => r.name)).toEqual(["asg-lifecycle", "spot-interruption", "rebalance", "state-change", "scheduled-change"]);
    expect(rules[0].pattern).toEqual({
      source: ["aws.autoscaling"],
      "detail-type": ["EC2 Instance-terminate Lifecycle Action"],
      detail: { AutoScalingGroupName: ASGS },
    });
    expect((rules[3].pattern.detail as { state: string[] }).state).toEqual(["stopping", "stopped", "shutting-down", "terminated"]);
  });
});

describe("group tags", () => {
  const config = parseConfig(
    {
      clusterName: "demo",
      apiAllowedCidrs: '["203.0.113.7/32"]',
      tags: '{"team":"platform"}',
      nodePools: JSON.stringify([
        { name: "gpu", minSize: 0, maxSize: 2, spot: true, labels: { "example.com/a": "1" }, taints: [{ key: "k", effect: "NoExecute" }] },
      ]),
    },
    { region: "us-east-1" },
  );
  const pool = config.nodePools.nodePools[0];

  it("advertise labels and taints for scale-from-zero without propagating them to instances", () => {
    const tags = asgTags("demo", config.cluster.tags, pool);
    expect(tags).toEqual(
      expect.arrayContaining([
        { key: "k8s.io/cluster-autoscaler/node-template/label/example.com/a", value: "1", propagateAtLaunch: false },
        { key: "k8s.io/cluster-autoscaler/node-template/taint/k", value: ":NoExecute", propagateAtLaunch: false },
        { key: "team", value: "platform", propagateAtLaunch: true },
        { key: "Name", value: "demo-gpu", propagateAtLaunch: true },
      ]),
    );
    expect(new Set(tags.map((t) => t.key)).size).toBe(tags.length);
  });

  it("use a mixed instances policy for spot or several instance types only", () => {
    expect(usesMixedInstancesPolicy(pool)).toBe(true);
    expect(usesMixedInstancesPolicy({ spot: false, instanceTypes: ["t3.medium"] })).toBe(false);
    expect(usesMixedInstancesPolicy({ spot: false, instanceTypes: ["t3.medium", "t3a.medium"] })).toBe(true);
  });
});
