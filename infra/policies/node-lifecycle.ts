/**
 * The policies of graceful scale-in: the termination queue's resource policy and what
 * aws-node-termination-handler and cluster-autoscaler call. Pure.
 */
import { AccountContext, policy, PolicyDocument, ResourcePolicyDocument } from "./document";

/** Lets the EventBridge rules, and nothing else, send to the queue. Pure. */
export function terminationQueuePolicy(queueArn: string, ruleArns: readonly string[], dnsSuffix = "amazonaws.com"): ResourcePolicyDocument {
  return {
    Version: "2012-10-17",
    Statement: [
      {
        Sid: "EventBridgeRulesOfThisCluster",
        Effect: "Allow",
        Principal: { Service: `events.${dnsSuffix}` },
        Action: "sqs:SendMessage",
        Resource: queueArn,
        Condition: { ArnEquals: { "aws:SourceArn": [...ruleArns] } },
      },
    ],
  };
}

/** `arn:<partition>:autoscaling:<region>:<account>:autoScalingGroup:*:autoScalingGroupName/<name>`. */
export function asgArnPattern(ctx: AccountContext, groupName = "*"): string {
  return `arn:${ctx.partition}:autoscaling:${ctx.region}:${ctx.accountId}:autoScalingGroup:*:autoScalingGroupName/${groupName}`;
}

export interface NodeLifecyclePolicyInputs {
  readonly ctx: AccountContext;
  readonly queueArn: string;
  /** Names of this cluster's worker groups (the handler completes their lifecycle hooks). */
  readonly asgNames: readonly string[];
}

/**
 * What aws-node-termination-handler (queue mode) and cluster-autoscaler call. Write
 * actions name this cluster's queue and groups; Describe* calls accept no resource
 * or condition scoping in IAM, so they use `*` (they reveal metadata, change nothing).
 * Pure.
 */
export function nodeLifecyclePolicy(p: NodeLifecyclePolicyInputs): PolicyDocument {
  const groupArns = p.asgNames.map((n) => asgArnPattern(p.ctx, n));
  return policy(
    {
      Sid: "TerminationHandlerReadsItsQueue",
      Effect: "Allow",
      Action: ["sqs:DeleteMessage", "sqs:ReceiveMessage"],
      Resource: p.queueArn,
    },
    {
      Sid: "TerminationHandlerCompletesHooksOfThisClusterGroups",
      Effect: "Allow",
      Action: ["autoscaling:CompleteLifecycleAction"],
      Resource: groupArns,
    },
    {
      // No resource-level permissions exist for these Describe calls.
      Sid: "TerminationHandlerDescribes",
      Effect: "Allow",
      Action: ["autoscaling:DescribeAutoScalingInstances", "autoscaling:DescribeTags", "ec2:DescribeInstances"],
      Resource: "*",
    },
    {
      // Only groups that carry this cluster's discovery tag, in this account and region.
      Sid: "ClusterAutoscalerScalesThisClusterGroups",
      Effect: "Allow",
      Action: ["autoscaling:SetDesiredCapacity", "autoscaling:TerminateInstanceInAutoScalingGroup"],
      Resource: asgArnPattern(p.ctx),
      Condition: { StringEquals: { [`aws:ResourceTag/k8s.io/cluster-autoscaler/${p.ctx.clusterName}`]: "owned" } },
    },
    {
      // No resource-level permissions exist for these Describe calls either; the
      // instance-type and launch-template reads let it scale a group up from zero.
      Sid: "ClusterAutoscalerDescribes",
      Effect: "Allow",
      Action: [
        "autoscaling:DescribeAutoScalingGroups",
        "autoscaling:DescribeAutoScalingInstances",
        "autoscaling:DescribeLaunchConfigurations",
        "autoscaling:DescribeScalingActivities",
        "autoscaling:DescribeTags",
        "ec2:DescribeImages",
        "ec2:DescribeInstanceTypes",
        "ec2:DescribeLaunchTemplateVersions",
        "ec2:GetInstanceTypesFromInstanceRequirements",
      ],
      Resource: "*",
    },
  );
}
