/**
 * The AWS coordinates the object-detection pods read from the ConfigMap
 * `object-detection-aws`. Pure and Pulumi-free: the chart calls
 * {@link objectDetectionConfigData} with the real queue URLs when Pulumi deploys it
 * (from its deploy context, `objectDetectionAwsConfig` in ./registration.ts), and
 * with {@link PLACEHOLDER_AWS_CONFIG} for `npm run synth`.
 */

export const OBJECT_DETECTION_CONFIGMAP = "object-detection-aws";

export interface ObjectDetectionAwsConfig {
  readonly region: string;
  /** SQS queue polybot sends prediction jobs to and yolo5 consumes. */
  readonly jobsQueueUrl: string;
  /** SNS topic yolo5 publishes one event per finished prediction to. */
  readonly predictionEventsTopicArn: string;
  /** SQS queue (subscribed to the topic) metering consumes. */
  readonly meteringQueueUrl: string;
  /** SQS queue (subscribed to the topic) model-analyzer consumes. */
  readonly modelAnalyzerQueueUrl: string;
  /** SQS queue (subscribed to the topic) polybot consumes to answer the chat. */
  readonly polybotQueueUrl: string;
  /** S3 bucket polybot stores photos in (`images/`) and yolo5 reads them from. */
  readonly imagesBucket: string;
  /** DynamoDB table of metering's usage per user and day. */
  readonly meteringTable: string;
  /** DynamoDB table of model-analyzer's statistics per model version and hour. */
  readonly modelAnalyzerTable: string;
  /**
   * Images Pulumi built and pushed (`<repository>:<tag>@<digest>`), by service;
   * they replace the values' images. Not part of the ConfigMap.
   * @default - none: the images the values name
   */
  readonly images?: Readonly<Record<string, string>>;
  /**
   * The IAM role of each service's service account (its declared access), by service
   * account name; the pods assume it with a projected token. Not part of the ConfigMap.
   * @default - none: no AWS credentials in the pods
   */
  readonly roleArns?: Readonly<Record<string, string>>;
}

/** What `npm run synth` writes: obviously not an AWS value, and greppable. */
export const PLACEHOLDER_AWS_CONFIG: ObjectDetectionAwsConfig = {
  region: "SET-BY-PULUMI-region",
  jobsQueueUrl: "SET-BY-PULUMI-jobs-queue-url",
  predictionEventsTopicArn: "SET-BY-PULUMI-prediction-events-topic-arn",
  meteringQueueUrl: "SET-BY-PULUMI-metering-queue-url",
  modelAnalyzerQueueUrl: "SET-BY-PULUMI-model-analyzer-queue-url",
  polybotQueueUrl: "SET-BY-PULUMI-polybot-queue-url",
  imagesBucket: "SET-BY-PULUMI-images-bucket",
  meteringTable: "SET-BY-PULUMI-metering-table",
  modelAnalyzerTable: "SET-BY-PULUMI-model-analyzer-table",
};

/** ConfigMap data: environment variable name to value. */
export function objectDetectionConfigData(c: ObjectDetectionAwsConfig): Record<string, string> {
  return {
    // Both names: the AWS SDKs for Python and JavaScript read different ones.
    AWS_REGION: c.region,
    AWS_DEFAULT_REGION: c.region,
    JOBS_QUEUE_URL: c.jobsQueueUrl,
    PREDICTION_EVENTS_TOPIC_ARN: c.predictionEventsTopicArn,
    METERING_QUEUE_URL: c.meteringQueueUrl,
    MODEL_ANALYZER_QUEUE_URL: c.modelAnalyzerQueueUrl,
    POLYBOT_QUEUE_URL: c.polybotQueueUrl,
    IMAGES_BUCKET: c.imagesBucket,
    METERING_TABLE: c.meteringTable,
    MODEL_ANALYZER_TABLE: c.modelAnalyzerTable,
  };
}
