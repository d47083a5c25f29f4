/**
 * The AWS side of the object-detection application: the SQS jobs queue
 * (polybot -> yolo5), the SNS prediction-events topic (yolo5 publishes), one
 * SQS queue per event consumer (metering, model-analyzer) subscribed to the
 * topic, a dead-letter queue behind every queue, and a least-privilege policy
 * on the worker role for exactly these queues and this topic.
 *
 * The policy documents are pure functions (golden-tested); the component only
 * wires resources together.
 */
import * as aws from "@pulumi/aws";
import * as pulumi from "@pulumi/pulumi";
import { ObjectDetectionAwsConfig, objectDetectionConfigData } from "../../charts/object-detection/aws-config";
import type { ObjectDetectionConfig } from "../config/object-detection";
import { resourceTags } from "./tags";

/** AWS managed key for SNS: its key policy lets SNS use it for this account, so publishers need no KMS grant. */
export const SNS_MANAGED_KMS_KEY = "alias/aws/sns";

export interface ObjectDetectionArns {
  readonly jobsQueueArn: string;
  readonly predictionEventsTopicArn: string;
  readonly meteringQueueArn: string;
  readonly modelAnalyzerQueueArn: string;
}

interface PolicyStatement {
  Sid: string;
  Effect: "Allow";
  Action: string[];
  Resource: string | string[];
  Principal?: Record<string, string>;
  Condition?: Record<string, Record<string, string>>;
}

export interface PolicyDocument {
  Version: "2012-10-17";
  Statement: PolicyStatement[];
}

const CONSUME = ["sqs:ReceiveMessage", "sqs:DeleteMessage", "sqs:ChangeMessageVisibility", "sqs:GetQueueAttributes", "sqs:GetQueueUrl"];

/**
 * What the application's pods may do, and nothing more: send jobs, consume
 * jobs, publish prediction events, consume the two event queues. Dead-letter
 * queues are left to operators. Every pod on a worker shares the instance role,
 * so the statements cannot be split per service.
 */
export function objectDetectionWorkerPolicy(arns: ObjectDetectionArns): PolicyDocument {
  return {
    Version: "2012-10-17",
    Statement: [
      { Sid: "SendPredictionJobs", Effect: "Allow", Action: ["sqs:SendMessage", "sqs:GetQueueUrl", "sqs:GetQueueAttributes"], Resource: arns.jobsQueueArn },
      { Sid: "ConsumePredictionJobs", Effect: "Allow", Action: CONSUME, Resource: arns.jobsQueueArn },
      { Sid: "PublishPredictionEvents", Effect: "Allow", Action: ["sns:Publish"], Resource: arns.predictionEventsTopicArn },
      {
        Sid: "ConsumePredictionEvents",
        Effect: "Allow",
        Action: CONSUME,
        Resource: [arns.meteringQueueArn, arns.modelAnalyzerQueueArn],
      },
    ],
  };
}

/** Queue policy of a consumer queue: only the prediction-events topic may deliver to it. */
export function topicDeliveryQueuePolicy(queueArn: string, topicArn: string): PolicyDocument {
  return {
    Version: "2012-10-17",
    Statement: [
      {
        Sid: "DeliveryFromPredictionEventsTopic",
        Effect: "Allow",
        Principal: { Service: "sns.amazonaws.com" },
        Action: ["sqs:SendMessage"],
        Resource: queueArn,
        Condition: { ArnEquals: { "aws:SourceArn": topicArn } },
      },
    ],
  };
}

export interface ObjectDetectionQueuesArgs {
  readonly clusterName: string;
  readonly region: string;
  readonly tags: Readonly<Record<string, string>>;
  /** Name of the IAM role of the worker nodes (where the pods' AWS credentials come from). */
  readonly workerRoleName: pulumi.Input<string>;
  readonly config: ObjectDetectionConfig;
}

/** The queues, topic and worker policy of the object-detection application. */
export class ObjectDetectionQueues extends pulumi.ComponentResource {
  readonly jobsQueue: aws.sqs.Queue;
  readonly predictionEventsTopic: aws.sns.Topic;
  readonly meteringQueue: aws.sqs.Queue;
  readonly modelAnalyzerQueue: aws.sqs.Queue;
  readonly deadLetterQueues: Readonly<Record<"jobs" | "metering" | "modelAnalyzer", aws.sqs.Queue>>;
  readonly workerPolicy: aws.iam.RolePolicy;
  /** What the chart's ConfigMap carries (`ObjectDetectionChart` props `aws`). */
  readonly awsConfig: pulumi.Output<ObjectDetectionAwsConfig>;
  /** The ConfigMap data itself. */
  readonly configData: pulumi.Output<Record<string, string>>;

  constructor(name: string, args: ObjectDetectionQueuesArgs, opts?: pulumi.ComponentResourceOptions) {
    super("platform:infra:ObjectDetectionQueues", name, {}, opts);
    const c = args.config;
    const tags = (suffix: string) => resourceTags(args.clusterName, args.tags, `${args.clusterName}-${suffix}`, { "platform/app": "object-detection" });
    const parent = { parent: this };

    const queueWithDlq = (key: string, retention: number, visibility: number): [aws.sqs.Queue, aws.sqs.Queue] => {
      const dlq = new aws.sqs.Queue(
        `${name}-${key}-dlq`,
        { messageRetentionSeconds: c.deadLetterRetentionSeconds, sqsManagedSseEnabled: true, tags: tags(`od-${key}-dlq`) },
        parent,
      );
      const queue = new aws.sqs.Queue(
        `${name}-${key}`,
        {
          messageRetentionSeconds: retention,
          visibilityTimeoutSeconds: visibility,
          // Long polling: fewer empty receives, lower cost.
          receiveWaitTimeSeconds: 20,
          sqsManagedSseEnabled: true,
          redrivePolicy: dlq.arn.apply((arn) => JSON.stringify({ deadLetterTargetArn: arn, maxReceiveCount: c.maxReceiveCount })),
          tags: tags(`od-${key}`),
        },
        parent,
      );
      // Only its own source queue may move messages into a DLQ.
      new aws.sqs.RedriveAllowPolicy(
        `${name}-${key}-dlq`,
        {
          queueUrl: dlq.url,
          redriveAllowPolicy: queue.arn.apply((arn) => JSON.stringify({ redrivePermission: "byQueue", sourceQueueArns: [arn] })),
        },
        parent,
      );
      return [queue, dlq];
    };

    const [jobs, jobsDlq] = queueWithDlq("jobs", c.jobRetentionSeconds, c.jobVisibilityTimeoutSeconds);
    this.jobsQueue = jobs;

    this.predictionEventsTopic = new aws.sns.Topic(
      `${name}-prediction-events`,
      { kmsMasterKeyId: SNS_MANAGED_KMS_KEY, tags: tags("od-prediction-events") },
      parent,
    );
    const topicArn = this.predictionEventsTopic.arn;

    const consumer = (key: string): [aws.sqs.Queue, aws.sqs.Queue] => {
      const [queue, dlq] = queueWithDlq(key, c.eventRetentionSeconds, c.eventVisibilityTimeoutSeconds);
      const policy = new aws.sqs.QueuePolicy(
        `${name}-${key}`,
        {
          queueUrl: queue.url,
          policy: pulumi.all([queue.arn, topicArn]).apply(([q, t]) => JSON.stringify(topicDeliveryQueuePolicy(q, t))),
        },
        parent,
      );
      new aws.sns.TopicSubscription(
        `${name}-${key}`,
        // Raw delivery: consumers get the event body as published, not wrapped in an SNS envelope.
        { topic: topicArn, protocol: "sqs", endpoint: queue.arn, rawMessageDelivery: true },
        // Without the queue policy in place the first deliveries are dropped.
        { parent: this, dependsOn: [policy] },
      );
      return [queue, dlq];
    };
    const [metering, meteringDlq] = consumer("metering");
    const [modelAnalyzer, modelAnalyzerDlq] = consumer("model-analyzer");
    this.meteringQueue = metering;
    this.modelAnalyzerQueue = modelAnalyzer;
    this.deadLetterQueues = { jobs: jobsDlq, metering: meteringDlq, modelAnalyzer: modelAnalyzerDlq };

    this.workerPolicy = new aws.iam.RolePolicy(
      `${name}-worker`,
      {
        role: args.workerRoleName,
        policy: pulumi
          .all([jobs.arn, topicArn, metering.arn, modelAnalyzer.arn])
          .apply(([jobsQueueArn, predictionEventsTopicArn, meteringQueueArn, modelAnalyzerQueueArn]) =>
            JSON.stringify(objectDetectionWorkerPolicy({ jobsQueueArn, predictionEventsTopicArn, meteringQueueArn, modelAnalyzerQueueArn })),
          ),
      },
      parent,
    );

    this.awsConfig = pulumi
      .all([jobs.url, topicArn, metering.url, modelAnalyzer.url])
      .apply(([jobsQueueUrl, predictionEventsTopicArn, meteringQueueUrl, modelAnalyzerQueueUrl]) => ({
        region: args.region,
        jobsQueueUrl,
        predictionEventsTopicArn,
        meteringQueueUrl,
        modelAnalyzerQueueUrl,
      }));
    this.configData = this.awsConfig.apply(objectDetectionConfigData);

    this.registerOutputs({
      jobsQueueUrl: jobs.url,
      predictionEventsTopicArn: topicArn,
      meteringQueueUrl: metering.url,
      modelAnalyzerQueueUrl: modelAnalyzer.url,
    });
  }
}
