/**
 * The AWS side of log shipping and of Grafana's CloudWatch datasource: the
 * cluster's container log group (FluentD writes to it), a policy on the
 * control-plane and worker roles that lets FluentD write to that group and
 * nothing else, and a read policy on the worker role for Grafana, which runs
 * on the workers and uses the default AWS SDK credential chain (the instance
 * role).
 */
import * as aws from "@pulumi/aws";
import * as pulumi from "@pulumi/pulumi";
import { AccountContext, policy, PolicyDocument } from "../policies/document";
import { resourceTags } from "./tags";

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

export interface LoggingArgs {
  readonly clusterName: string;
  readonly region: string;
  readonly logGroupName: string;
  /** One of the periods CloudWatch Logs accepts (validated by the config section). */
  readonly retentionDays: number;
  /** Roles of the nodes FluentD runs on (every node: control plane and workers). */
  readonly writerRoleNames: readonly pulumi.Input<string>[];
  /**
   * Roles of the nodes Grafana may run on; none means no CloudWatch read access.
   * @default []
   */
  readonly readerRoleNames?: readonly pulumi.Input<string>[];
  /**
   * Extra tags for every resource.
   * @default {}
   */
  readonly tags?: Readonly<Record<string, string>>;
}

export class Logging extends pulumi.ComponentResource {
  readonly logGroupName: pulumi.Output<string>;
  readonly logGroupArn: pulumi.Output<string>;

  constructor(name: string, args: LoggingArgs, opts?: pulumi.ComponentResourceOptions) {
    super("platform:infra:Logging", name, {}, opts);
    const parent = { parent: this };
    const identity = aws.getCallerIdentityOutput({}, parent);
    const partition = aws.getPartitionOutput({}, parent);
    const ctx = pulumi
      .all([identity.accountId, partition.partition])
      .apply(([accountId, part]): AccountContext => ({ partition: part, region: args.region, accountId, clusterName: args.clusterName }));

    const group = new aws.cloudwatch.LogGroup(
      `${name}-containers`,
      {
        name: args.logGroupName,
        retentionInDays: args.retentionDays,
        tags: resourceTags(args.clusterName, args.tags ?? {}, args.logGroupName),
      },
      parent,
    );

    const writer = pulumi.all([ctx, group.name]).apply(([c, g]) => JSON.stringify(logWriterPolicy(c, g)));
    args.writerRoleNames.forEach((role, i) => {
      new aws.iam.RolePolicy(`${name}-log-writer-${i}`, { role, policy: writer }, parent);
    });

    const reader = pulumi.all([ctx, group.name]).apply(([c, g]) => JSON.stringify(cloudWatchReadPolicy(c, g)));
    (args.readerRoleNames ?? []).forEach((role, i) => {
      new aws.iam.RolePolicy(`${name}-cloudwatch-reader-${i}`, { role, policy: reader }, parent);
    });

    this.logGroupName = group.name;
    this.logGroupArn = group.arn;
    this.registerOutputs({ logGroupName: this.logGroupName, logGroupArn: this.logGroupArn });
  }
}
