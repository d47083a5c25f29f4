/**
 * Graceful scale-in and the AWS side of the cluster autoscaler.
 *
 * EventBridge delivers every event that takes a worker away (ASG terminate lifecycle
 * action, spot interruption warning, rebalance recommendation, instance state change,
 * scheduled maintenance) to one SQS queue. aws-node-termination-handler in queue mode
 * (installed with the add-ons, issue 7) reads the queue, cordons and drains the node,
 * and completes the lifecycle hook, so the instance only terminates after the drain.
 *
 * Both the handler and cluster-autoscaler run on the control-plane node and use its
 * instance role (IMDSv2 with hop limit 2 lets pods reach it): no worker, and so no
 * workload pod, can ever terminate instances or drain nodes. Their permissions are one
 * customer-managed policy attached to the control-plane role (inline policies of a
 * role share a 10 KiB budget the controllers' policies already use).
 */
import * as aws from "@pulumi/aws";
import * as pulumi from "@pulumi/pulumi";
import { nodeLifecyclePolicy, terminationQueuePolicy } from "../policies/node-lifecycle";
import { resourceTags } from "./tags";

/** EventBridge patterns, one rule each (a rule matches one pattern). */
export interface TerminationEventRule {
  /** Short, stable name: the logical name's suffix. */
  readonly name: string;
  readonly description: string;
  readonly pattern: Record<string, unknown>;
}

/**
 * The events aws-node-termination-handler acts on in queue mode. The lifecycle
 * rule is limited to this cluster's groups; EC2 events cannot be filtered by tag, so
 * the handler ignores instances that are not nodes of this cluster. Pure.
 */
export function terminationEventRules(asgNames: readonly string[]): TerminationEventRule[] {
  return [
    {
      name: "asg-lifecycle",
      description: "Worker instances entering Terminating:Wait (scale-in, instance refresh, rebalancing)",
      pattern: {
        source: ["aws.autoscaling"],
        "detail-type": ["EC2 Instance-terminate Lifecycle Action"],
        detail: { AutoScalingGroupName: [...asgNames] },
      },
    },
    {
      name: "spot-interruption",
      description: "Two-minute warnings before EC2 reclaims a spot instance",
      pattern: { source: ["aws.ec2"], "detail-type": ["EC2 Spot Instance Interruption Warning"] },
    },
    {
      name: "rebalance",
      description: "Spot instances at elevated risk of interruption",
      pattern: { source: ["aws.ec2"], "detail-type": ["EC2 Instance Rebalance Recommendation"] },
    },
    {
      name: "state-change",
      description: "Instances stopping or terminating outside the autoscaling group's control",
      pattern: {
        source: ["aws.ec2"],
        "detail-type": ["EC2 Instance State-change Notification"],
        detail: { state: ["stopping", "stopped", "shutting-down", "terminated"] },
      },
    },
    {
      name: "scheduled-change",
      description: "Scheduled EC2 maintenance (retirement, reboot) announced by AWS Health",
      pattern: {
        source: ["aws.health"],
        "detail-type": ["AWS Health Event"],
        detail: { service: ["EC2"], eventTypeCategory: ["scheduledChange"] },
      },
    },
  ];
}

export interface NodeTerminationArgs {
  readonly clusterName: string;
  readonly region: string;
  /** Names of the worker autoscaling groups whose lifecycle events go to the queue. */
  readonly asgNames: pulumi.Input<pulumi.Input<string>[]>;
  /**
   * The roles that get the policy: those of the handler's and the autoscaler's service
   * accounts (infra/aws/identity.ts), never a node role.
   */
  readonly roleNames: readonly pulumi.Input<string>[];
  /**
   * Extra tags for every resource.
   * @default {}
   */
  readonly tags?: Readonly<Record<string, string>>;
}

export class NodeTermination extends pulumi.ComponentResource {
  /** For aws-node-termination-handler's `queueURL` (issue 7). */
  readonly queueUrl: pulumi.Output<string>;
  readonly queueArn: pulumi.Output<string>;
  readonly policyArn: pulumi.Output<string>;

  constructor(name: string, args: NodeTerminationArgs, opts?: pulumi.ComponentResourceOptions) {
    super("platform:infra:NodeTermination", name, {}, opts);
    const parent = { parent: this };
    const tags = resourceTags(args.clusterName, args.tags ?? {}, `${args.clusterName}-node-termination`);
    const identity = aws.getCallerIdentityOutput({}, parent);
    const partition = aws.getPartitionOutput({}, parent);

    const queue = new aws.sqs.Queue(
      `${name}-node-termination`,
      {
        // The handler polls continuously; an event older than five minutes describes a
        // node that is already gone (the NTH documentation's setting).
        messageRetentionSeconds: 300,
        // SQS-managed SSE: encrypted at rest, and EventBridge may send without a KMS grant.
        sqsManagedSseEnabled: true,
        tags,
      },
      parent,
    );

    const asgNames = pulumi.output(args.asgNames);
    // Rule names and descriptions do not depend on the groups; the patterns may.
    const rules = terminationEventRules([]).map((spec, i) => {
      const rule = new aws.cloudwatch.EventRule(
        `${name}-nth-${spec.name}`,
        {
          description: `${spec.description} (cluster ${args.clusterName})`,
          eventPattern: asgNames.apply((names) => JSON.stringify(terminationEventRules(names)[i].pattern)),
          tags,
        },
        parent,
      );
      new aws.cloudwatch.EventTarget(`${name}-nth-${spec.name}`, { rule: rule.name, arn: queue.arn }, parent);
      return rule;
    });

    new aws.sqs.QueuePolicy(
      `${name}-node-termination`,
      {
        queueUrl: queue.url,
        policy: pulumi
          .all([queue.arn, partition.dnsSuffix, ...rules.map((r) => r.arn)])
          .apply(([queueArn, dnsSuffix, ...ruleArns]) => JSON.stringify(terminationQueuePolicy(queueArn, ruleArns, dnsSuffix))),
      },
      parent,
    );

    const lifecyclePolicy = new aws.iam.Policy(
      `${name}-node-lifecycle`,
      {
        description: `aws-node-termination-handler (queue mode) and cluster-autoscaler of cluster ${args.clusterName}`,
        policy: pulumi
          .all([identity.accountId, partition.partition, queue.arn, asgNames])
          .apply(([accountId, part, queueArn, names]) =>
            JSON.stringify(
              nodeLifecyclePolicy({
                ctx: { partition: part, region: args.region, accountId, clusterName: args.clusterName },
                queueArn,
                asgNames: names,
              }),
            ),
          ),
        tags,
      },
      parent,
    );
    // The first attachment keeps the name (and URN) it had when there was one role.
    args.roleNames.forEach((role, i) => {
      new aws.iam.RolePolicyAttachment(`${name}-node-lifecycle${i === 0 ? "" : `-${i}`}`, { role, policyArn: lifecyclePolicy.arn }, parent);
    });

    this.queueUrl = queue.url;
    this.queueArn = queue.arn;
    this.policyArn = lifecyclePolicy.arn;
    this.registerOutputs({ queueUrl: this.queueUrl, queueArn: this.queueArn, policyArn: this.policyArn });
  }
}
