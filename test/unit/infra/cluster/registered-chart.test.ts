/**
 * Adding a chart touches charts/ only: a throwaway chart, registered in a test
 * registry (the real entries plus one), is deployed by the unchanged Pulumi program
 * under mocks: its stack configuration key, its AWS queue with its dead-letter
 * queue and worker policy, its generated Secret, its ConfigGroup synthesized with
 * the real queue URL, and its URL as a stack output.
 */
import * as pulumi from "@pulumi/pulumi";
import { installPulumiMocks, TEST_ACCOUNT, TEST_REGION, validStackConfig, valueOf } from "../../support/pulumi-mocks";
import type { ChartEntry } from "../../../../charts/chart-entry";
import { DependencyRecorder } from "../../support/dependency-recorder";

const queueUrl = (name: string) => `https://sqs.${TEST_REGION}.amazonaws.com/${TEST_ACCOUNT}/${name}`;
const mocks = installPulumiMocks({
  resourceState: ({ type, name }) => (type === "aws:sqs/queue:Queue" ? { url: queueUrl(name) } : undefined),
});

const NS = "throwaway";

/** A chart nobody registered in charts/registry.ts: plain objects, one Secret reference, one queue. */
const THROWAWAY: ChartEntry = {
  id: "throwaway",
  namespace: NS,
  secrets: () => [
    {
      namespace: NS,
      name: "throwaway-credentials",
      keys: {
        user: { description: "a user name", generate: { kind: "fixed", value: "app" } },
        password: { description: "its password", generate: { kind: "random", length: 24 } },
      },
    },
  ],
  urls: () => ({ throwawayUrl: "https://throwaway.example.org" }),
  aws: {
    configKey: "throwaway",
    parse: (v) => {
      const s = v.object("throwaway");
      s?.rejectUnknownKeys(["enabled"]);
      return { enabled: s?.boolean("enabled", true) ?? true };
    },
    messaging: () => ({
      component: "ThrowawayQueues",
      prefix: "tw",
      app: "throwaway",
      deadLetterRetentionSeconds: 86_400,
      maxReceiveCount: 3,
      queues: [{ key: "work", label: "Work", retentionSeconds: 3600, visibilityTimeoutSeconds: 30, send: true, consume: true }],
      topics: [],
    }),
    access: () => [{ serviceAccount: "worker", label: "Worker", sendQueues: ["work"], consumeQueues: ["work"] }],
  },
  create: (app, _values, deploy) => {
    // The App's own cdk8s module: the program may load a separate copy of it.
    const { Chart, ApiObject } = require("cdk8s") as typeof import("cdk8s"); // eslint-disable-line @typescript-eslint/no-require-imports
    const chart = new Chart(app, "throwaway");
    new ApiObject(chart, "ns", { apiVersion: "v1", kind: "Namespace", metadata: { name: NS } });
    new ApiObject(chart, "cm", {
      apiVersion: "v1",
      kind: "ConfigMap",
      metadata: { name: "throwaway-aws", namespace: NS },
      data: { WORK_QUEUE_URL: deploy?.queueUrls.work ?? "SET-BY-PULUMI-work-queue-url" },
    });
    new ApiObject(chart, "deploy", {
      apiVersion: "apps/v1",
      kind: "Deployment",
      metadata: { name: "throwaway", namespace: NS },
      spec: {
        selector: { matchLabels: { app: "throwaway" } },
        template: {
          metadata: { labels: { app: "throwaway" } },
          spec: {
            containers: [
              {
                name: "app",
                image: "registry.example.com/throwaway:1.0.0",
                env: [{ name: "PASSWORD", valueFrom: { secretKeyRef: { name: "throwaway-credentials", key: "password" } } }],
                envFrom: [{ configMapRef: { name: "throwaway-aws" } }],
              },
            ],
          },
        },
      },
    });
    return chart;
  },
};

const CONFIG_GROUP = "kubernetes:yaml/v2:ConfigGroup";

describe("a chart registered only in a test registry", () => {
  let outputs: Record<string, unknown> = {};
  const recorder = new DependencyRecorder();

  beforeAll(async () => {
    mocks.reset();
    mocks.setConfig(validStackConfig({ workloads: { charts: ["throwaway"] }, throwaway: { enabled: true } }));
    let error: Error | undefined;
    jest.isolateModules(() => {
      jest.doMock("../../../../charts/registry", () => {
        const real = jest.requireActual("../../../../charts/registry");
        return { ...real, CHARTS: [...real.CHARTS, THROWAWAY] };
      });
      recorder.install();
      try {
        outputs = require("../../../../infra/index"); // eslint-disable-line @typescript-eslint/no-require-imports
      } catch (e) {
        error = e as Error;
      }
    });
    if (error) throw error;
    await mocks.settle();
    await recorder.resolve();
  }, 60_000);

  it("creates the queue it declares, with its dead-letter queue and a role for the service account that uses it", () => {
    mocks.one("platform:infra:ThrowawayQueues", "demo-tw");
    const work = mocks.ofType("aws:sqs/queue:Queue").find((q) => q.name === "demo-tw-work")!;
    const dlq = mocks.ofType("aws:sqs/queue:Queue").find((q) => q.name === "demo-tw-work-dlq")!;
    expect(JSON.parse(work.inputs.redrivePolicy)).toEqual({ deadLetterTargetArn: dlq.state.arn, maxReceiveCount: 3 });
    expect(work.inputs.tags).toMatchObject({ Name: "demo-tw-work", "platform/app": "throwaway" });
    // Its service account's own role, not the worker node role (a pod is never its node).
    expect(mocks.ofType("aws:iam/rolePolicy:RolePolicy").filter((p) => p.name.startsWith("demo-tw-"))).toEqual([]);
    const role = mocks.one("aws:iam/role:Role", "demo-sa-throwaway-worker");
    const conditions: Record<string, string> = JSON.parse(role.inputs.assumeRolePolicy).Statement[0].Condition.StringEquals;
    expect(Object.entries(conditions).find(([k]) => k.endsWith(":sub"))?.[1]).toBe(`system:serviceaccount:${NS}:worker`);
    const policy = JSON.parse(mocks.one("aws:iam/rolePolicy:RolePolicy", "demo-sa-throwaway-worker-access").inputs.policy);
    const granted = policy.Statement.flatMap((s: { Action: string[]; Resource: string | string[] }) => [s.Resource].flat().includes(work.state.arn) ? s.Action : []);
    expect(granted).toEqual(expect.arrayContaining(["sqs:SendMessage", "sqs:ReceiveMessage", "sqs:DeleteMessage"]));
  });

  it("deploys its objects, synthesized with the real queue URL, in their own ConfigGroup", () => {
    const group = mocks.ofType(CONFIG_GROUP).find((g) => g.name === "demo-workloads-throwaway")!;
    const kinds = group.inputs.objs.map((o: { kind: string }) => o.kind);
    expect(kinds).toEqual(["ConfigMap", "Deployment"]);
    expect(group.inputs.objs[0].data.WORK_QUEUE_URL).toBe(queueUrl("demo-tw-work"));
    expect(mocks.ofType(CONFIG_GROUP).map((g) => g.name)).toContain("demo-workloads-throwaway-namespace");
  });

  it("generates the Secret it references, as a secret output, before its objects", async () => {
    const secret = mocks.one("kubernetes:core/v1:Secret", "demo-workloads-throwaway-throwaway-credentials");
    expect(secret.inputs.metadata).toMatchObject({ name: "throwaway-credentials", namespace: NS });
    const data = secret.inputs.stringData.value;
    expect(data).toEqual({ user: "app", password: "mock-demo-workloads-throwaway-throwaway-credentials-password" });
    const reg = recorder.registrations.find((x) => x.type === "kubernetes:core/v1:Secret")!;
    expect(await pulumi.isSecret((reg.resource as unknown as { stringData: pulumi.Output<unknown> }).stringData)).toBe(true);
    const group = recorder.registrations.find((x) => x.type === CONFIG_GROUP && x.name === "demo-workloads-throwaway")!;
    expect(recorder.directDependencies(group.resource)).toContain(reg.resource);
  });

  it("exports its URL", async () => {
    expect(await valueOf(outputs.workloadUrls as pulumi.Input<Record<string, string>>)).toEqual({ throwawayUrl: "https://throwaway.example.org" });
  });
});
