/**
 * What a chart's pods may do with the messaging it declares, and who may deliver to
 * its subscriber queues. Pure.
 */
import type { MessagingDeclaration } from "../../charts/chart-entry";
import type { PolicyDocument, PolicyStatement, ResourcePolicyDocument } from "./document";

/** ARNs of the declared queues (subscribers included) and topics, by key. */
export interface MessagingArns {
  readonly queues: Readonly<Record<string, string>>;
  readonly topics: Readonly<Record<string, string>>;
}

const SEND = ["sqs:SendMessage", "sqs:GetQueueUrl", "sqs:GetQueueAttributes"];
const CONSUME = ["sqs:ReceiveMessage", "sqs:DeleteMessage", "sqs:ChangeMessageVisibility", "sqs:GetQueueAttributes", "sqs:GetQueueUrl"];

/**
 * What the chart's pods may do, and nothing more: send to and consume the queues
 * as declared, publish to the topics, consume the subscriber queues. Dead-letter
 * queues are left to operators. Every pod on a worker shares the instance role,
 * so the statements cannot be split per service.
 */
export function messagingWorkerPolicy(decl: MessagingDeclaration, arns: MessagingArns): PolicyDocument {
  const statements: PolicyStatement[] = [];
  const allow = (Sid: string, Action: string[], Resource: string | string[]) => statements.push({ Sid, Effect: "Allow", Action, Resource });
  for (const q of decl.queues) {
    if (q.send) allow(`Send${q.label}`, SEND, arns.queues[q.key]);
    if (q.consume) allow(`Consume${q.label}`, CONSUME, arns.queues[q.key]);
  }
  for (const t of decl.topics) {
    if (t.publish) allow(`Publish${t.label}`, ["sns:Publish"], arns.topics[t.key]);
    if (t.subscribers.length > 0) allow(`Consume${t.label}`, CONSUME, t.subscribers.map((s) => arns.queues[s.key]));
  }
  return { Version: "2012-10-17", Statement: statements };
}

/** Queue policy of a subscriber queue: only its topic may deliver to it. `topicLabel` names the statement. */
export function topicDeliveryQueuePolicy(queueArn: string, topicArn: string, topicLabel = ""): ResourcePolicyDocument {
  return {
    Version: "2012-10-17",
    Statement: [
      {
        Sid: `DeliveryFrom${topicLabel}Topic`,
        Effect: "Allow",
        Principal: { Service: "sns.amazonaws.com" },
        Action: ["sqs:SendMessage"],
        Resource: queueArn,
        Condition: { ArnEquals: { "aws:SourceArn": topicArn } },
      },
    ],
  };
}
