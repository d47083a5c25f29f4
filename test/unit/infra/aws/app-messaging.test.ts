/**
 * The AWS messaging a chart declares, created generically, with the object-detection
 * chart's declaration: queues, topic, subscriptions, DLQs and the worker policy
 * (Pulumi mocks), the policy documents as golden files (test/golden/object-detection/,
 * rewrite with UPDATE_GOLDEN=1), and the `objectDetection` stack config section the
 * chart owns.
 */
import { installPulumiMocks, TEST_ACCOUNT, TEST_REGION, valueOf } from "../../support/pulumi-mocks";

// SQS queues get the URL AWS would give them, so URL wiring is checked too.
const queueUrl = (logicalName: string) => `https://sqs.${TEST_REGION}.amazonaws.com/${TEST_ACCOUNT}/${logicalName}`;
const mocks = installPulumiMocks({
  resourceState: ({ type, name }) => (type === "aws:sqs/queue:Queue" ? { url: queueUrl(name) } : undefined),
});

import { parseConfig } from "../../../../infra/config";
import { CHARTS } from "../../../../charts/registry";
import { objectDetectionConfigData } from "../../../../charts/object-detection/aws-config";
import { objectDetectionAwsConfig } from "../../../../charts/object-detection/registration";
import { OBJECT_DETECTION_DEFAULTS, ObjectDetectionConfig, objectDetectionMessaging } from "../../../../charts/object-detection/stack-config";
import { ConfigError } from "../../../../lib/validate";
import { AppMessaging } from "../../../../infra/aws/app-messaging";
import { chartAwsStackOutputs, ChartAws, declareChartAws } from "../../../../infra/aws/app-resources";
import { messagingWorkerPolicy, topicDeliveryQueuePolicy } from "../../../../infra/policies/messaging";
import { allows } from "../../support/iam-eval";
import { goldenIn } from "../../support/golden";

type Obj = Record<string, any>; // eslint-disable-line @typescript-eslint/no-explicit-any

const expectGolden = goldenIn("object-detection");

const arn = (service: string, name: string) => `arn:aws:${service}:${TEST_REGION}:${TEST_ACCOUNT}:${name}`;
const EXAMPLE_ARNS = {
  jobsQueueArn: arn("sqs", "demo-od-jobs"),
  predictionEventsTopicArn: arn("sns", "demo-od-prediction-events"),
  meteringQueueArn: arn("sqs", "demo-od-metering"),
  modelAnalyzerQueueArn: arn("sqs", "demo-od-model-analyzer"),
  polybotQueueArn: arn("sqs", "demo-od-polybot"),
};
const OD_MESSAGING = objectDetectionMessaging(OBJECT_DETECTION_DEFAULTS);
/** The worker policy of the object-detection declaration for these ARNs. */
const objectDetectionWorkerPolicy = (a: typeof EXAMPLE_ARNS) =>
  messagingWorkerPolicy(OD_MESSAGING, {
    queues: { jobs: a.jobsQueueArn, metering: a.meteringQueueArn, "model-analyzer": a.modelAnalyzerQueueArn, polybot: a.polybotQueueArn },
    topics: { "prediction-events": a.predictionEventsTopicArn },
  });

describe("policy documents (golden files)", () => {
  test("worker policy", () => expectGolden("worker-policy.json", objectDetectionWorkerPolicy(EXAMPLE_ARNS)));
  test("consumer queue policy", () =>
    expectGolden("consumer-queue-policy.json", topicDeliveryQueuePolicy(EXAMPLE_ARNS.meteringQueueArn, EXAMPLE_ARNS.predictionEventsTopicArn, "PredictionEvents")));

  test("the worker policy allows exactly the application's traffic", () => {
    const doc = [objectDetectionWorkerPolicy(EXAMPLE_ARNS)];
    const { jobsQueueArn: jobs, predictionEventsTopicArn: topic, meteringQueueArn: metering, modelAnalyzerQueueArn: analyzer, polybotQueueArn: polybot } = EXAMPLE_ARNS;
    expect(allows(doc, "sqs:SendMessage", jobs)).toBe(true);
    expect(allows(doc, "sqs:ReceiveMessage", jobs)).toBe(true);
    expect(allows(doc, "sns:Publish", topic)).toBe(true);
    expect(allows(doc, "sqs:ReceiveMessage", metering)).toBe(true);
    expect(allows(doc, "sqs:DeleteMessage", analyzer)).toBe(true);
    expect(allows(doc, "sqs:ReceiveMessage", polybot)).toBe(true);
    expect(allows(doc, "sqs:SendMessage", polybot)).toBe(false);
    // Only polybot sends jobs; nothing in the cluster injects events behind the topic's back.
    expect(allows(doc, "sqs:SendMessage", metering)).toBe(false);
    expect(allows(doc, "sqs:PurgeQueue", jobs)).toBe(false);
    expect(allows(doc, "sqs:DeleteQueue", jobs)).toBe(false);
    expect(allows(doc, "sns:Subscribe", topic)).toBe(false);
    expect(allows(doc, "sqs:ReceiveMessage", arn("sqs", "someone-elses-queue"))).toBe(false);
    expect(allows(doc, "sns:Publish", arn("sns", "other-topic"))).toBe(false);
    const resources = doc[0].Statement.flatMap((s) => (Array.isArray(s.Resource) ? s.Resource : [s.Resource]));
    expect(resources.every((r) => !r.includes("*"))).toBe(true);
  });
});

describe("AppMessaging with the object-detection declaration", () => {
  const config: ObjectDetectionConfig = { ...OBJECT_DETECTION_DEFAULTS, eventRetentionSeconds: 900 };
  let component: AppMessaging;
  let chartAws: ChartAws;

  beforeAll(async () => {
    mocks.reset();
    // As the program declares it: through the registry, by chart id.
    chartAws = declareChartAws({
      clusterName: "demo",
      region: TEST_REGION,
      tags: { team: "ml" },
      workerRoleName: "demo-worker",
      settings: { "object-detection": config },
    })["object-detection"];
    component = chartAws.messaging;
    await mocks.settle();
  });

  const queues = () => mocks.ofType("aws:sqs/queue:Queue");
  const queue = (name: string) => mocks.one("aws:sqs/queue:Queue", name === "jobs" ? "-jobs" : name).inputs;
  const queueNamed = (logical: string) => queues().find((q) => q.name === logical)!;

  test("four queues, each with its own dead-letter queue", () => {
    expect(queues().map((q) => q.name).sort()).toEqual([
      "demo-od-jobs",
      "demo-od-jobs-dlq",
      "demo-od-metering",
      "demo-od-metering-dlq",
      "demo-od-model-analyzer",
      "demo-od-model-analyzer-dlq",
      "demo-od-polybot",
      "demo-od-polybot-dlq",
    ]);
    for (const key of ["jobs", "metering", "model-analyzer", "polybot"]) {
      const source = queueNamed(`demo-od-${key}`);
      const dlq = queueNamed(`demo-od-${key}-dlq`);
      expect(JSON.parse(source.inputs.redrivePolicy)).toEqual({ deadLetterTargetArn: dlq.state.arn, maxReceiveCount: 5 });
      expect(dlq.inputs.redrivePolicy).toBeUndefined();
      const allow = mocks.ofType("aws:sqs/redriveAllowPolicy:RedriveAllowPolicy").find((p) => p.name === `demo-od-${key}-dlq`)!;
      expect(JSON.parse(allow.inputs.redriveAllowPolicy)).toEqual({ redrivePermission: "byQueue", sourceQueueArns: [source.state.arn] });
    }
  });

  test("short retention: events for the configured time, jobs for a day; SSE on every queue", () => {
    expect(queueNamed("demo-od-metering").inputs.messageRetentionSeconds).toBe(900);
    expect(queueNamed("demo-od-model-analyzer").inputs.messageRetentionSeconds).toBe(900);
    expect(queueNamed("demo-od-polybot").inputs.messageRetentionSeconds).toBe(900);
    expect(queueNamed("demo-od-jobs").inputs.messageRetentionSeconds).toBe(86_400);
    expect(queueNamed("demo-od-jobs").inputs.visibilityTimeoutSeconds).toBe(180);
    for (const q of queues()) expect(q.inputs.sqsManagedSseEnabled).toBe(true);
    expect(queue("jobs-dlq").messageRetentionSeconds).toBe(86_400);
  });

  test("an encrypted prediction-events topic with a raw-delivery SQS subscription per consumer", () => {
    const topic = mocks.one("aws:sns/topic:Topic");
    expect(topic.inputs.kmsMasterKeyId).toBe("alias/aws/sns");
    const subs = mocks.ofType("aws:sns/topicSubscription:TopicSubscription");
    expect(subs.map((s) => [s.name, s.inputs.protocol, s.inputs.rawMessageDelivery, s.inputs.topic]).sort()).toEqual([
      ["demo-od-metering", "sqs", true, topic.state.arn],
      ["demo-od-model-analyzer", "sqs", true, topic.state.arn],
      ["demo-od-polybot", "sqs", true, topic.state.arn],
    ]);
    expect(subs.find((s) => s.name === "demo-od-metering")!.inputs.endpoint).toBe(queueNamed("demo-od-metering").state.arn);
  });

  test("consumer queues accept messages only from the topic", () => {
    const topicArn = mocks.one("aws:sns/topic:Topic").state.arn;
    const policies = mocks.ofType("aws:sqs/queuePolicy:QueuePolicy");
    expect(policies.map((p) => p.name).sort()).toEqual(["demo-od-metering", "demo-od-model-analyzer", "demo-od-polybot"]);
    for (const p of policies) {
      const q = queueNamed(p.name);
      expect(p.inputs.queueUrl).toBe(queueUrl(p.name));
      expect(JSON.parse(p.inputs.policy)).toEqual(topicDeliveryQueuePolicy(q.state.arn, topicArn, "PredictionEvents"));
    }
  });

  test("the worker role gets a policy scoped to exactly these queues and topic", () => {
    const rp = mocks.one("aws:iam/rolePolicy:RolePolicy", "demo-od-worker");
    expect(rp.inputs.role).toBe("demo-worker");
    const doc = JSON.parse(rp.inputs.policy) as Obj;
    expect(doc).toEqual(
      objectDetectionWorkerPolicy({
        jobsQueueArn: queueNamed("demo-od-jobs").state.arn,
        predictionEventsTopicArn: mocks.one("aws:sns/topic:Topic").state.arn,
        meteringQueueArn: queueNamed("demo-od-metering").state.arn,
        modelAnalyzerQueueArn: queueNamed("demo-od-model-analyzer").state.arn,
        polybotQueueArn: queueNamed("demo-od-polybot").state.arn,
      }),
    );
    const dlqArns = queues().filter((q) => q.name.endsWith("-dlq")).map((q) => q.state.arn);
    expect(JSON.stringify(doc)).not.toMatch(new RegExp(dlqArns.map((a) => a.replace(/[.*+?^${}()|[\]\\]/g, "\\$&")).join("|")));
  });

  test("every resource is tagged for the cluster and parented to the component", () => {
    for (const q of queues()) expect(q.inputs.tags).toMatchObject({ "kubernetes.io/cluster/demo": "owned", team: "ml", "platform/app": "object-detection" });
    // The component's type and name are part of every child's URN: they must never change.
    const component = mocks.one("platform:infra:ObjectDetectionQueues");
    expect(component.custom).toBe(false);
    expect(component.name).toBe("demo-od");
  });

  test("nothing is declared when the settings turn it off", async () => {
    expect(declareChartAws({ clusterName: "x", region: TEST_REGION, tags: {}, workerRoleName: "r", settings: { "object-detection": { ...config, enabled: false } } })).toEqual({});
    expect(declareChartAws({ clusterName: "x", region: TEST_REGION, tags: {}, workerRoleName: "r", settings: {} }, CHARTS)).toEqual({});
  });

  test("the chart's stack output carries its coordinates in the chart's own shape", async () => {
    const outputs = chartAwsStackOutputs({ "object-detection": chartAws });
    expect(Object.keys(outputs)).toEqual(["objectDetectionAws"]);
    expect(await valueOf(outputs.objectDetectionAws)).toEqual(objectDetectionAwsConfig(await valueOf(chartAws.deployContext)));
  });

  test("the ConfigMap data carries the real queue URLs and topic ARN", async () => {
    // Bucket and table names come from the storage (app-resources.test.ts).
    const data = objectDetectionConfigData(objectDetectionAwsConfig(await valueOf(component.deployContext)));
    expect(Object.keys(data).sort()).toEqual(expect.arrayContaining([
      "AWS_DEFAULT_REGION",
      "AWS_REGION",
      "JOBS_QUEUE_URL",
      "METERING_QUEUE_URL",
      "MODEL_ANALYZER_QUEUE_URL",
      "POLYBOT_QUEUE_URL",
      "PREDICTION_EVENTS_TOPIC_ARN",
    ]));
    expect(data.POLYBOT_QUEUE_URL).toBe(queueUrl("demo-od-polybot"));
    expect(data.AWS_REGION).toBe(TEST_REGION);
    expect(data.JOBS_QUEUE_URL).toBe(queueUrl("demo-od-jobs"));
    expect(data.METERING_QUEUE_URL).toBe(queueUrl("demo-od-metering"));
    expect(data.MODEL_ANALYZER_QUEUE_URL).toBe(queueUrl("demo-od-model-analyzer"));
    expect(data.PREDICTION_EVENTS_TOPIC_ARN).toBe(mocks.one("aws:sns/topic:Topic").state.arn);
    expect(Object.values(data).join(" ")).not.toContain("SET-BY-PULUMI");
  });
});

describe("objectDetection stack configuration", () => {
  const parse = (objectDetection: unknown) =>
    parseConfig({ clusterName: "demo", apiAllowedCidrs: ["203.0.113.7/32"], objectDetection }, { region: TEST_REGION }).chartSettings["object-detection"];

  test("defaults and JSON overrides", () => {
    expect(parse(undefined)).toEqual(OBJECT_DETECTION_DEFAULTS);
    expect(parse(JSON.stringify({ eventRetentionSeconds: 600, maxReceiveCount: 3 }))).toMatchObject({ eventRetentionSeconds: 600, maxReceiveCount: 3 });
  });

  test.each([
    [{ eventRetentionSeconds: 30 }, /objectDetection\.eventRetentionSeconds: got 30; allowed: an integer from 60 to 1209600/],
    [{ jobVisibilityTimeoutSeconds: 50000 }, /objectDetection\.jobVisibilityTimeoutSeconds: got 50000/],
    [{ maxReceiveCount: 0 }, /objectDetection\.maxReceiveCount: got 0/],
    [{ deadLetterRetentionSeconds: 600, jobRetentionSeconds: 3600 }, /objectDetection\.deadLetterRetentionSeconds: got 600; allowed: at least the longest source queue retention \(3600\)/],
    [{ retention: 60 }, /objectDetection\.retention: got 60; allowed: a known key/],
  ])("rejects %p", (bad, message) => {
    expect(() => parse(bad)).toThrow(ConfigError);
    expect(() => parse(bad)).toThrow(message);
  });
});
