/**
 * What each service account of a chart may do with the AWS resources the chart
 * declared (its registry entry's `aws.access`): one identity policy per service,
 * ready for that service account's own role, and the union of the storage
 * statements for the worker role the pods share until they have one. Pure.
 */
import type { ServiceAccess } from "../../charts/chart-entry";
import { denyRequestsWithoutTls, PolicyDocument, PolicyStatement, ResourcePolicyDocument } from "./document";

/** ARNs of a chart's declared resources, by key. */
export interface AppResourceArns {
  readonly queues: Readonly<Record<string, string>>;
  readonly topics: Readonly<Record<string, string>>;
  readonly buckets: Readonly<Record<string, string>>;
  readonly tables: Readonly<Record<string, string>>;
}

const SEND = ["sqs:SendMessage", "sqs:GetQueueUrl", "sqs:GetQueueAttributes"];
const CONSUME = ["sqs:ReceiveMessage", "sqs:DeleteMessage", "sqs:ChangeMessageVisibility", "sqs:GetQueueAttributes", "sqs:GetQueueUrl"];

function arnOf(kind: string, arns: Readonly<Record<string, string>>, key: string): string {
  const arn = arns[key];
  if (arn === undefined) throw new Error(`service access names ${kind} ${JSON.stringify(key)}, which the chart does not declare`);
  return arn;
}

/** The queue and topic statements of one service. */
export function messagingStatements(access: ServiceAccess, arns: AppResourceArns): PolicyStatement[] {
  const out: PolicyStatement[] = [];
  const queues = (keys: readonly string[] | undefined) => (keys ?? []).map((k) => arnOf("queue", arns.queues, k));
  const send = queues(access.sendQueues);
  const consume = queues(access.consumeQueues);
  const publish = (access.publishTopics ?? []).map((k) => arnOf("topic", arns.topics, k));
  if (send.length > 0) out.push({ Sid: `${access.label}SendQueues`, Effect: "Allow", Action: SEND, Resource: send });
  if (consume.length > 0) out.push({ Sid: `${access.label}ConsumeQueues`, Effect: "Allow", Action: CONSUME, Resource: consume });
  if (publish.length > 0) out.push({ Sid: `${access.label}PublishTopics`, Effect: "Allow", Action: ["sns:Publish"], Resource: publish });
  return out;
}

/**
 * The bucket and table statements of one service: objects under its prefixes
 * only, listing the bucket (so a missing object reads as 404, not 403, and the
 * readiness check's HeadBucket answers), and the table actions it was given.
 */
export function storageStatements(access: ServiceAccess, arns: AppResourceArns): PolicyStatement[] {
  const out: PolicyStatement[] = [];
  const objects = access.objects ?? [];
  const under = (want: "read" | "write") => objects.filter((o) => o[want]).map((o) => `${arnOf("bucket", arns.buckets, o.bucket)}/${o.prefix}*`);
  const reads = under("read");
  const writes = under("write");
  if (reads.length > 0) out.push({ Sid: `${access.label}ReadObjects`, Effect: "Allow", Action: ["s3:GetObject"], Resource: reads });
  if (writes.length > 0) out.push({ Sid: `${access.label}WriteObjects`, Effect: "Allow", Action: ["s3:PutObject"], Resource: writes });
  const buckets = [...new Set(objects.map((o) => arnOf("bucket", arns.buckets, o.bucket)))];
  if (buckets.length > 0) out.push({ Sid: `${access.label}ListBuckets`, Effect: "Allow", Action: ["s3:ListBucket"], Resource: buckets });
  for (const t of access.tables ?? []) {
    const arn = arnOf("table", arns.tables, t.table);
    out.push({ Sid: `${access.label}Table${pascal(t.table)}`, Effect: "Allow", Action: t.actions.map((a) => `dynamodb:${a}`), Resource: arn });
  }
  return out;
}

/** Everything one service may do: the policy of its service account's role. */
export function serviceAccessPolicy(access: ServiceAccess, arns: AppResourceArns): PolicyDocument {
  return { Version: "2012-10-17", Statement: [...messagingStatements(access, arns), ...storageStatements(access, arns)] };
}

/**
 * The storage statements of every service, for the worker role all pods share
 * today (the queues and topic have their own worker policy, messagingWorkerPolicy).
 */
export function storageWorkerPolicy(accesses: readonly ServiceAccess[], arns: AppResourceArns): PolicyDocument {
  return { Version: "2012-10-17", Statement: accesses.flatMap((a) => storageStatements(a, arns)) };
}

/** `model-analyzer` → `ModelAnalyzer`, for statement ids (alphanumeric only). */
function pascal(key: string): string {
  return key
    .split(/[^A-Za-z0-9]+/)
    .filter(Boolean)
    .map((w) => w[0].toUpperCase() + w.slice(1))
    .join("");
}

/** Resource policy of a declared bucket: requests without TLS are denied. */
export function tlsOnlyBucketPolicy(bucketArn: string): ResourcePolicyDocument {
  return {
    Version: "2012-10-17",
    Statement: [
      denyRequestsWithoutTls(bucketArn),
    ],
  };
}
