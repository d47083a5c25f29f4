/** Container logs in CloudWatch: FluentD's write access and Grafana's read access. Pure. */
import { AccountContext, policy, PolicyDocument } from "./document";

/** `arn:<partition>:logs:<region>:<account>:log-group:<name>`. */
export function logGroupArn(ctx: AccountContext, logGroupName: string): string {
  return `arn:${ctx.partition}:logs:${ctx.region}:${ctx.accountId}:log-group:${logGroupName}`;
}

/**
 * What fluent-plugin-cloudwatch-logs calls with `auto_create_stream`: find the
 * group, find or create the node's streams, put events. The group itself is
 * Pulumi's: no CreateLogGroup, no PutRetentionPolicy, no DeleteLogGroup. Pure.
 */
export function logWriterPolicy(ctx: AccountContext, logGroupName: string): PolicyDocument {
  const group = logGroupArn(ctx, logGroupName);
  return policy(
    {
      Sid: "WriteContainerLogsOfThisCluster",
      Effect: "Allow",
      Action: ["logs:CreateLogStream", "logs:DescribeLogStreams", "logs:PutLogEvents"],
      // The group and its streams (`<group>:log-stream:<name>`).
      Resource: [group, `${group}:*`],
    },
    {
      // The plugin checks that the group exists with DescribeLogGroups, a list
      // call that IAM cannot limit to one group; it returns names and settings only.
      Sid: "FindTheLogGroup",
      Effect: "Allow",
      Action: ["logs:DescribeLogGroups"],
      Resource: "*",
    },
  );
}

/**
 * What Grafana's CloudWatch datasource calls for metric panels (the SQS
 * dashboard) and for Logs Insights queries on the cluster's log group. Pure.
 */
export function cloudWatchReadPolicy(ctx: AccountContext, logGroupName: string): PolicyDocument {
  const group = logGroupArn(ctx, logGroupName);
  return policy(
    {
      // CloudWatch metric reads have no resource-level permissions and no
      // condition key for the namespace: they can only be granted on "*".
      // They read metrics; they cannot change anything.
      Sid: "ReadCloudWatchMetrics",
      Effect: "Allow",
      Action: ["cloudwatch:GetMetricData", "cloudwatch:GetMetricStatistics", "cloudwatch:ListMetrics"],
      Resource: "*",
    },
    {
      Sid: "QueryThisClusterLogs",
      Effect: "Allow",
      Action: ["logs:FilterLogEvents", "logs:GetLogEvents", "logs:GetLogGroupFields", "logs:StartQuery"],
      Resource: [group, `${group}:*`],
    },
    {
      // The log group picker (DescribeLogGroups) and query results
      // (GetQueryResults takes a query id, not a resource) cannot be scoped in
      // IAM; results only exist for queries StartQuery allowed above.
      // logs:StopQuery (also unscopable, and a write) is left out: cancelling a
      // query from Grafana fails, the query runs to its end on AWS' side.
      Sid: "ListLogGroupsAndReadQueryResults",
      Effect: "Allow",
      Action: ["logs:DescribeLogGroups", "logs:GetQueryResults"],
      Resource: "*",
    },
  );
}
