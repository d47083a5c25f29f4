/**
 * CloudWatch metrics the dashboards may use, by namespace: the names AWS
 * publishes (for SQS, every queue reports these at one-minute granularity, with
 * the `QueueName` dimension). The unit tests fail on any CloudWatch query whose
 * namespace or metric is not listed here.
 */
export const CLOUDWATCH_METRICS: Readonly<Record<string, readonly string[]>> = {
  "AWS/SQS": [
    "ApproximateAgeOfOldestMessage",
    "ApproximateNumberOfMessagesDelayed",
    "ApproximateNumberOfMessagesNotVisible",
    "ApproximateNumberOfMessagesVisible",
    "NumberOfEmptyReceives",
    "NumberOfMessagesDeleted",
    "NumberOfMessagesReceived",
    "NumberOfMessagesSent",
    "SentMessageSize",
  ],
};

/** Dimensions each namespace's metrics carry. */
export const CLOUDWATCH_DIMENSIONS: Readonly<Record<string, readonly string[]>> = {
  "AWS/SQS": ["QueueName"],
};
