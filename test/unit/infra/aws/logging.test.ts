/**
 * infra/aws/logging.ts: the container log group, FluentD's write access and
 * Grafana's CloudWatch read access, under Pulumi mocks; the policy documents
 * as golden files (test/golden/iam/logging-*.json, UPDATE_GOLDEN=1 rewrites).
 */
import { installPulumiMocks, TEST_ACCOUNT, TEST_REGION } from "../../support/pulumi-mocks";

const mocks = installPulumiMocks();

import { containerLogGroupName } from "../../../../lib/log-group";
import { parseConfig } from "../../../../infra/config";
import { Logging } from "../../../../infra/aws/logging";
import { cloudWatchReadPolicy, logWriterPolicy } from "../../../../infra/policies/logs";
import { AccountContext } from "../../../../infra/policies/document";
import { wildcardWrites } from "../../../../infra/policies/wildcards";
import { ConfigError } from "../../../../lib/validate";
import { allows } from "../../support/iam-eval";
import { goldenIn } from "../../support/golden";

const ctx: AccountContext = { partition: "aws", region: TEST_REGION, accountId: TEST_ACCOUNT, clusterName: "demo" };
const group = "/kubeadm-platform/demo/containers";
const groupArn = `arn:aws:logs:${TEST_REGION}:${TEST_ACCOUNT}:log-group:${group}`;

const expectGolden = goldenIn("iam");

describe("log writer policy (FluentD on every node)", () => {
  const doc = logWriterPolicy(ctx, group);

  test("matches the golden file", () => expectGolden("logging-writer.json", doc));

  test("may write streams of the cluster's group only", () => {
    expect(allows([doc], "logs:PutLogEvents", `${groupArn}:log-stream:pod_ns_c-1.log`)).toBe(true);
    expect(allows([doc], "logs:CreateLogStream", `${groupArn}:log-stream:x`)).toBe(true);
    const other = `arn:aws:logs:${TEST_REGION}:${TEST_ACCOUNT}:log-group:/other/app`;
    expect(allows([doc], "logs:PutLogEvents", `${other}:log-stream:x`)).toBe(false);
    // A group named like ours plus a suffix is another group.
    expect(allows([doc], "logs:PutLogEvents", `${groupArn}-evil:log-stream:x`)).toBe(false);
  });

  test("cannot create or delete the group or change its retention", () => {
    for (const action of ["logs:CreateLogGroup", "logs:DeleteLogGroup", "logs:PutRetentionPolicy", "logs:DeleteLogStream"]) {
      expect([action, allows([doc], action, groupArn)]).toEqual([action, false]);
    }
    expect(wildcardWrites(doc)).toEqual([]);
  });
});

describe("CloudWatch read policy (Grafana)", () => {
  const doc = cloudWatchReadPolicy(ctx, group);

  test("matches the golden file", () => expectGolden("logging-grafana-reader.json", doc));

  test("reads metrics and queries the cluster's logs, writes nothing", () => {
    expect(allows([doc], "cloudwatch:GetMetricData", "*")).toBe(true);
    expect(allows([doc], "logs:StartQuery", groupArn)).toBe(true);
    expect(allows([doc], "logs:StartQuery", `arn:aws:logs:${TEST_REGION}:${TEST_ACCOUNT}:log-group:/other`)).toBe(false);
    expect(allows([doc], "logs:PutLogEvents", `${groupArn}:log-stream:x`)).toBe(false);
    expect(allows([doc], "cloudwatch:PutMetricData", "*")).toBe(false);
    expect(wildcardWrites(doc)).toEqual([]);
  });
});

describe("observability stack config", () => {
  const base = { clusterName: "demo", apiAllowedCidrs: ["203.0.113.7/32"] };

  test("defaults: 30 days, the group name FluentD uses", () => {
    const c = parseConfig(base, { region: TEST_REGION });
    expect(c.observability).toEqual({
      cloudWatchLogs: true,
      logGroupName: containerLogGroupName("demo"),
      logRetentionDays: 30,
      grafanaCloudWatchRead: true,
    });
  });

  test.each([
    [{ logRetentionDays: 31 }, "observability.logRetentionDays"],
    [{ logRetentionDays: "a month" }, "observability.logRetentionDays"],
    [{ logGroupName: "bad name" }, "observability.logGroupName"],
    [{ retention: 30 }, "observability.retention"],
  ])("rejects %j naming %s", (section, key) => {
    try {
      parseConfig({ ...base, observability: section }, { region: TEST_REGION });
      throw new Error("accepted");
    } catch (e) {
      expect(e).toBeInstanceOf(ConfigError);
      expect((e as ConfigError).problems.map((p) => p.key)).toContain(key);
    }
  });
});

describe("Logging component", () => {
  test("creates the group with retention and attaches the policies to the given roles", async () => {
    new Logging("demo", {
      clusterName: "demo",
      region: TEST_REGION,
      logGroupName: group,
      retentionDays: 90,
      writerRoleNames: ["demo-control-plane", "demo-worker"],
      readerRoleNames: ["demo-worker"],
    });
    await mocks.settle();
    const groups = mocks.ofType("aws:cloudwatch/logGroup:LogGroup");
    expect(groups).toHaveLength(1);
    expect(groups[0].inputs).toMatchObject({ name: group, retentionInDays: 90 });
    expect(groups[0].inputs.tags["kubernetes.io/cluster/demo"]).toBe("owned");

    const policies = mocks.ofType("aws:iam/rolePolicy:RolePolicy");
    const byRole = (role: string) => policies.filter((p) => p.inputs.role === role).map((p) => JSON.parse(p.inputs.policy));
    const cp = byRole("demo-control-plane");
    const worker = byRole("demo-worker");
    expect(cp).toHaveLength(1);
    expect(worker).toHaveLength(2);
    const stream = `${groupArn}:log-stream:x`;
    expect(allows(cp, "logs:PutLogEvents", stream)).toBe(true);
    expect(allows(cp, "cloudwatch:GetMetricData", "*")).toBe(false);
    expect(allows(worker, "logs:PutLogEvents", stream)).toBe(true);
    expect(allows(worker, "cloudwatch:GetMetricData", "*")).toBe(true);
  });
});
