/**
 * The AWS messaging the charts declare (their registry entries' `aws`): SQS
 * queues, SNS topics with one SQS queue per subscriber, a dead-letter queue
 * behind every queue, and (only when a node role is given) the union of what the
 * chart's pods do with them on that role; the platform gives none, each service's
 * own role holds its access (infra/aws/workload-roles.ts). Nothing here names a chart.
 *
 * The policy documents are pure functions (golden-tested); the component only
 * wires resources together.
 */
import * as aws from "@pulumi/aws";
import * as pulumi from "@pulumi/pulumi";
import type { DeployContext, MessagingDeclaration, QueueSettings } from "../../charts/chart-entry";
import { messagingWorkerPolicy, topicDeliveryQueuePolicy } from "../policies/messaging";
import { resourceTags } from "./tags";

/** AWS managed key for SNS: its key policy lets SNS use it for this account, so publishers need no KMS grant. */
export const SNS_MANAGED_KMS_KEY = "alias/aws/sns";

export interface AppMessagingArgs {
  readonly clusterName: string;
  readonly region: string;
  readonly tags: Readonly<Record<string, string>>;
  /**
   * A node role to give the union of the pods' access. Only for pods that cannot
   * assume their own role; the platform passes none (each service's role holds its
   * access, infra/aws/workload-roles.ts).
   * @default - no node role policy
   */
  readonly workerRoleName?: pulumi.Input<string>;
  readonly declaration: MessagingDeclaration;
}

/**
 * The queues, topics and worker policy one chart declared. Its Pulumi type and
 * name come from the declaration (`platform:infra:<component>`, `<cluster>-<prefix>`),
 * so the URNs of resources created before the declaration existed stay the same.
 */
export class AppMessaging extends pulumi.ComponentResource {
  /** Every declared queue (topic subscribers included), by key. */
  readonly queues: Readonly<Record<string, aws.sqs.Queue>>;
  /** The dead-letter queue of each, by the same key. */
  readonly deadLetterQueues: Readonly<Record<string, aws.sqs.Queue>>;
  readonly topics: Readonly<Record<string, aws.sns.Topic>>;
  readonly workerPolicy?: aws.iam.RolePolicy;
  /** What the chart is synthesized with. */
  readonly deployContext: pulumi.Output<DeployContext>;

  constructor(name: string, args: AppMessagingArgs, opts?: pulumi.ComponentResourceOptions) {
    const decl = args.declaration;
    super(`platform:infra:${decl.component}`, name, {}, opts);
    const tags = (key: string) => resourceTags(args.clusterName, args.tags, `${args.clusterName}-${decl.prefix}-${key}`, { "platform/app": decl.app });
    const queues: Record<string, aws.sqs.Queue> = {};
    const deadLetterQueues: Record<string, aws.sqs.Queue> = {};
    const topics: Record<string, aws.sns.Topic> = {};

    const queueWithDlq = (q: QueueSettings): aws.sqs.Queue => {
      const dlq = new aws.sqs.Queue(
        `${name}-${q.key}-dlq`,
        { messageRetentionSeconds: decl.deadLetterRetentionSeconds, sqsManagedSseEnabled: true, tags: tags(`${q.key}-dlq`) },
        { parent: this },
      );
      const queue = new aws.sqs.Queue(
        `${name}-${q.key}`,
        {
          messageRetentionSeconds: q.retentionSeconds,
          visibilityTimeoutSeconds: q.visibilityTimeoutSeconds,
          // Long polling: fewer empty receives, lower cost.
          receiveWaitTimeSeconds: 20,
          sqsManagedSseEnabled: true,
          redrivePolicy: dlq.arn.apply((arn) => JSON.stringify({ deadLetterTargetArn: arn, maxReceiveCount: decl.maxReceiveCount })),
          tags: tags(q.key),
        },
        { parent: this },
      );
      // Only its own source queue may move messages into a DLQ.
      new aws.sqs.RedriveAllowPolicy(
        `${name}-${q.key}-dlq`,
        {
          queueUrl: dlq.url,
          redriveAllowPolicy: queue.arn.apply((arn) => JSON.stringify({ redrivePermission: "byQueue", sourceQueueArns: [arn] })),
        },
        { parent: this },
      );
      queues[q.key] = queue;
      deadLetterQueues[q.key] = dlq;
      return queue;
    };

    for (const q of decl.queues) queueWithDlq(q);
    for (const t of decl.topics) {
      const topic = new aws.sns.Topic(`${name}-${t.key}`, { kmsMasterKeyId: SNS_MANAGED_KMS_KEY, tags: tags(t.key) }, { parent: this });
      topics[t.key] = topic;
      for (const s of t.subscribers) {
        const queue = queueWithDlq(s);
        const policy = new aws.sqs.QueuePolicy(
          `${name}-${s.key}`,
          {
            queueUrl: queue.url,
            policy: pulumi.all([queue.arn, topic.arn]).apply(([q, a]) => JSON.stringify(topicDeliveryQueuePolicy(q, a, t.label))),
          },
          { parent: this },
        );
        new aws.sns.TopicSubscription(
          `${name}-${s.key}`,
          // Raw delivery: consumers get the event body as published, not wrapped in an SNS envelope.
          { topic: topic.arn, protocol: "sqs", endpoint: queue.arn, rawMessageDelivery: true },
          // Without the queue policy in place the first deliveries are dropped.
          { parent: this, dependsOn: [policy] },
        );
      }
    }
    this.queues = queues;
    this.deadLetterQueues = deadLetterQueues;
    this.topics = topics;

    const arnsOf = <T extends { arn: pulumi.Output<string> }>(rs: Record<string, T>) => pulumi.all(mapValues(rs, (r) => r.arn));
    this.workerPolicy = args.workerRoleName === undefined ? undefined : new aws.iam.RolePolicy(
      `${name}-worker`,
      {
        role: args.workerRoleName,
        policy: pulumi
          .all([arnsOf(queues), arnsOf(topics)])
          .apply(([queueArns, topicArns]) => JSON.stringify(messagingWorkerPolicy(decl, { queues: queueArns, topics: topicArns }))),
      },
      { parent: this },
    );

    const queueUrls = pulumi.all(mapValues(queues, (q) => q.url));
    const topicArns = arnsOf(topics);
    this.deployContext = pulumi.all([queueUrls, topicArns]).apply(([u, t]) => ({ region: args.region, queueUrls: u, topicArns: t }));
    this.registerOutputs({ queueUrls, topicArns });
  }
}

function mapValues<T, U>(record: Readonly<Record<string, T>>, f: (v: T) => U): Record<string, U> {
  return Object.fromEntries(Object.entries(record).map(([k, v]) => [k, f(v)]));
}
