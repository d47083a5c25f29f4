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
}

/** What `npm run synth` writes: obviously not an AWS value, and greppable. */
export const PLACEHOLDER_AWS_CONFIG: ObjectDetectionAwsConfig = {
  region: "SET-BY-PULUMI-region",
  jobsQueueUrl: "SET-BY-PULUMI-jobs-queue-url",
  predictionEventsTopicArn: "SET-BY-PULUMI-prediction-events-topic-arn",
  meteringQueueUrl: "SET-BY-PULUMI-metering-queue-url",
  modelAnalyzerQueueUrl: "SET-BY-PULUMI-model-analyzer-queue-url",
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
  };
}
