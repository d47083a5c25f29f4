/**
 * The object-detection application's AWS resources, created in moto the way the
 * platform declares them: the jobs queue and one queue per event consumer, each
 * with its dead-letter queue and redrive policy (infra's defaults), the events
 * topic, queue policies from infra's own `topicDeliveryQueuePolicy`, raw-delivery
 * SQS subscriptions, the images bucket with its lifecycle expiry and the two
 * DynamoDB tables with TTL on `expiresAt`.
 *
 * The bucket's lifecycle and the tables' keys and TTL attribute come from the
 * chart's own declaration (`objectDetectionStorage`), which infra/aws/app-storage.ts
 * creates on AWS.
 */
import {
  CreateTableCommand,
  DynamoDBClient,
  UpdateTimeToLiveCommand,
} from "@aws-sdk/client-dynamodb";
import { CreateBucketCommand, PutBucketLifecycleConfigurationCommand, S3Client } from "@aws-sdk/client-s3";
import { CreateTopicCommand, SNSClient, SubscribeCommand } from "@aws-sdk/client-sns";
import { CreateQueueCommand, GetQueueAttributesCommand, SetQueueAttributesCommand, SQSClient } from "@aws-sdk/client-sqs";
import { topicDeliveryQueuePolicy } from "../../../infra/policies/messaging";
import { OBJECT_DETECTION_DEFAULTS as D, IMAGES_BUCKET, METERING_TABLE, MODEL_ANALYZER_TABLE, objectDetectionStorage } from "../../../charts/object-detection/stack-config";

export const REGION = "eu-west-1";

export interface AppResources {
  readonly imagesBucket: string;
  readonly jobsQueueUrl: string;
  readonly jobsDlqUrl: string;
  readonly topicArn: string;
  readonly polybotQueueUrl: string;
  readonly meteringQueueUrl: string;
  readonly modelAnalyzerQueueUrl: string;
  /** A queue only the test reads, subscribed like the others, to see each event as published. */
  readonly spyQueueUrl: string;
  readonly meteringTable: string;
  readonly modelAnalyzerTable: string;
}

export function clients(endpoint: string) {
  const common = {
    region: REGION,
    endpoint,
    credentials: { accessKeyId: "AKIAIOSFODNN7EXAMPLE", secretAccessKey: "wJalrXUtnFEMI/K7MDENG/bPxRfiCYEXAMPLEKEY" },
  };
  return {
    sqs: new SQSClient(common),
    sns: new SNSClient(common),
    s3: new S3Client({ ...common, forcePathStyle: true }),
    dynamo: new DynamoDBClient(common),
  };
}

export async function createAppResources(c: ReturnType<typeof clients>): Promise<AppResources> {
  const arnOf = async (url: string) =>
    (await c.sqs.send(new GetQueueAttributesCommand({ QueueUrl: url, AttributeNames: ["QueueArn"] }))).Attributes?.QueueArn ?? "";
  const queueWithDlq = async (name: string, retention: number, visibility: number) => {
    const dlq = await c.sqs.send(
      new CreateQueueCommand({ QueueName: `${name}-dlq`, Attributes: { MessageRetentionPeriod: String(D.deadLetterRetentionSeconds) } }),
    );
    const dlqUrl = dlq.QueueUrl ?? "";
    const q = await c.sqs.send(
      new CreateQueueCommand({
        QueueName: name,
        Attributes: {
          MessageRetentionPeriod: String(retention),
          VisibilityTimeout: String(visibility),
          ReceiveMessageWaitTimeSeconds: "20",
          RedrivePolicy: JSON.stringify({ deadLetterTargetArn: await arnOf(dlqUrl), maxReceiveCount: D.maxReceiveCount }),
        },
      }),
    );
    return { url: q.QueueUrl ?? "", dlqUrl };
  };

  const jobs = await queueWithDlq("od-jobs", D.jobRetentionSeconds, D.jobVisibilityTimeoutSeconds);
  const topicArn = (await c.sns.send(new CreateTopicCommand({ Name: "od-prediction-events" }))).TopicArn ?? "";
  const consumer = async (name: string) => {
    const q = await queueWithDlq(name, D.eventRetentionSeconds, D.eventVisibilityTimeoutSeconds);
    const arn = await arnOf(q.url);
    await c.sqs.send(
      new SetQueueAttributesCommand({ QueueUrl: q.url, Attributes: { Policy: JSON.stringify(topicDeliveryQueuePolicy(arn, topicArn)) } }),
    );
    await c.sns.send(
      new SubscribeCommand({ TopicArn: topicArn, Protocol: "sqs", Endpoint: arn, Attributes: { RawMessageDelivery: "true" } }),
    );
    return q.url;
  };

  const storage = objectDetectionStorage();
  const bucketDecl = storage.buckets.find((b) => b.key === IMAGES_BUCKET)!;
  const imagesBucket = "od-images";
  await c.s3.send(new CreateBucketCommand({ Bucket: imagesBucket, CreateBucketConfiguration: { LocationConstraint: REGION } }));
  await c.s3.send(
    new PutBucketLifecycleConfigurationCommand({
      Bucket: imagesBucket,
      LifecycleConfiguration: {
        Rules: bucketDecl.expirations.map((e) => ({ ID: `expire-${e.prefix}`, Status: "Enabled", Filter: { Prefix: e.prefix }, Expiration: { Days: e.days } })),
      },
    }),
  );

  const tableDecl = (key: string) => storage.tables.find((t) => t.key === key)!;
  const table = async (key: string) => {
    const { hashKey: pk, rangeKey: sk, ttlAttribute } = tableDecl(key);
    const name = `od-${key}`;
    await c.dynamo.send(
      new CreateTableCommand({
        TableName: name,
        BillingMode: "PAY_PER_REQUEST",
        AttributeDefinitions: [
          { AttributeName: pk, AttributeType: "S" },
          { AttributeName: sk, AttributeType: "S" },
        ],
        KeySchema: [
          { AttributeName: pk, KeyType: "HASH" },
          { AttributeName: sk, KeyType: "RANGE" },
        ],
      }),
    );
    await c.dynamo.send(new UpdateTimeToLiveCommand({ TableName: name, TimeToLiveSpecification: { AttributeName: ttlAttribute, Enabled: true } }));
    return name;
  };

  return {
    imagesBucket,
    jobsQueueUrl: jobs.url,
    jobsDlqUrl: jobs.dlqUrl,
    topicArn,
    polybotQueueUrl: await consumer("od-polybot"),
    meteringQueueUrl: await consumer("od-metering"),
    modelAnalyzerQueueUrl: await consumer("od-model-analyzer"),
    spyQueueUrl: await consumer("od-test-spy"),
    meteringTable: await table(METERING_TABLE),
    modelAnalyzerTable: await table(MODEL_ANALYZER_TABLE),
  };
}
