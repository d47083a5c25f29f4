/**
 * The AWS side of log shipping and of Grafana's CloudWatch datasource: the
 * cluster's container log group (FluentD writes to it), a policy on FluentD's
 * service-account role that lets it write to that group and nothing else, and a
 * read policy on Grafana's (infra/aws/workload-roles.ts; a pod is never its node).
 */
import * as aws from "@pulumi/aws";
import * as pulumi from "@pulumi/pulumi";
import { AccountContext } from "../policies/document";
import { cloudWatchReadPolicy, logWriterPolicy } from "../policies/logs";
import { resourceTags } from "./tags";

export interface LoggingArgs {
  readonly clusterName: string;
  readonly region: string;
  readonly logGroupName: string;
  /** One of the periods CloudWatch Logs accepts (validated by the config section). */
  readonly retentionDays: number;
  /** The roles that write container logs (FluentD's service-account role). */
  readonly writerRoleNames: readonly pulumi.Input<string>[];
  /**
   * The roles that read CloudWatch (Grafana's service-account role); none means no read access.
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
