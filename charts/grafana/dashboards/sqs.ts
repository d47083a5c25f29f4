import { CloudWatchTarget, cloudWatchQuery, customVariable, dashboard, Dashboard, DATASOURCE, Variable } from "./builder";

/** Which queues the dashboard offers. */
export interface SqsQueueSelection {
  /** Exact queue names; when empty, the region's queues matching `queueNamePattern`. */
  readonly queueNames: readonly string[];
  readonly queueNamePattern: string;
}

function queueVariable(sel: SqsQueueSelection): Variable {
  if (sel.queueNames.length > 0) return customVariable("queue", "Queue", sel.queueNames);
  return {
    name: "queue",
    label: "Queue",
    type: "query",
    datasource: DATASOURCE.cloudwatch,
    query: {
      refId: "CloudWatchVariableQueryEditor-VariableQuery",
      queryType: "DimensionValues",
      namespace: "AWS/SQS",
      metricName: "ApproximateNumberOfMessagesVisible",
      dimensionKey: "QueueName",
      region: "default",
    },
    regex: `/${sel.queueNamePattern.replace(/\//g, "\\/")}/`,
    refresh: 1,
    sort: 1,
    multi: true,
    includeAll: true,
    current: { text: "All", value: "$__all" },
  };
}

function sqs(metricName: string, statistic: CloudWatchTarget["statistic"], label: string): ReturnType<typeof cloudWatchQuery> {
  // SQS publishes every minute; a 60 s period with Sum gives "per minute" counts.
  return cloudWatchQuery({
    namespace: "AWS/SQS",
    metricName,
    dimensions: { QueueName: "$queue" },
    statistic,
    periodSeconds: 60,
    label: "${PROP('Dim.QueueName')} " + label,
  });
}

/** The object-detection app's SQS queues, from CloudWatch. */
export function sqsDashboard(sel: SqsQueueSelection): Dashboard {
  return dashboard({
    uid: "platform-sqs",
    title: "Object detection: SQS queues",
    description: "Backlog, in-flight messages, age of the oldest message and throughput of the object-detection queues (CloudWatch AWS/SQS).",
    variables: [queueVariable(sel)],
    panels: [
      {
        datasource: "cloudwatch",
        title: "Messages visible (backlog)",
        targets: [sqs("ApproximateNumberOfMessagesVisible", "Maximum", "visible")],
      },
      {
        datasource: "cloudwatch",
        title: "Messages not visible (in flight)",
        targets: [sqs("ApproximateNumberOfMessagesNotVisible", "Maximum", "in flight")],
      },
      {
        datasource: "cloudwatch",
        title: "Age of oldest message",
        unit: "s",
        targets: [sqs("ApproximateAgeOfOldestMessage", "Maximum", "oldest")],
      },
      {
        datasource: "cloudwatch",
        title: "Messages per minute",
        unit: "short",
        targets: [
          sqs("NumberOfMessagesSent", "Sum", "sent"),
          sqs("NumberOfMessagesReceived", "Sum", "received"),
          sqs("NumberOfMessagesDeleted", "Sum", "deleted"),
        ],
      },
      {
        datasource: "cloudwatch",
        title: "Empty receives per minute",
        description: "Polls that returned nothing; long polling keeps this low.",
        width: 24,
        targets: [sqs("NumberOfEmptyReceives", "Sum", "empty receives")],
      },
    ],
  });
}
