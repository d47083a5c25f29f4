/**
 * IAM policy document types and ARN helpers shared by the policy builders. Every
 * policy document the program attaches (identity and resource policies) is built by
 * a pure function in this folder and golden-tested under test/golden/iam/. Pure.
 */

export type Condition = Record<string, Record<string, string | string[]>>;

export interface PolicyStatement {
  /** Says what the statement is for; shows up in IAM's policy editor and in golden files. */
  readonly Sid: string;
  readonly Effect: "Allow" | "Deny";
  readonly Action: string[];
  readonly Resource: string | string[];
  readonly Condition?: Condition;
}

/** A statement of a resource policy (key, bucket, queue): it names who it is about. */
export interface ResourcePolicyStatement extends Omit<PolicyStatement, "Action"> {
  readonly Principal: Record<string, string | string[]> | "*";
  readonly Action: string | string[];
}

/** An identity policy (the default) or, with {@link ResourcePolicyStatement}, a resource policy. */
export interface PolicyDocument<S = PolicyStatement> {
  readonly Version: "2012-10-17";
  readonly Statement: S[];
}

/** A key, bucket or queue policy. */
export type ResourcePolicyDocument = PolicyDocument<ResourcePolicyStatement>;

/** Where the cluster lives; every ARN a policy names is built from it. */
export interface AccountContext {
  /** `aws`, `aws-cn` or `aws-us-gov`. */
  readonly partition: string;
  readonly region: string;
  readonly accountId: string;
  readonly clusterName: string;
}

export function policy(...statements: PolicyStatement[]): PolicyDocument {
  return { Version: "2012-10-17", Statement: statements };
}

/** `arn:<partition>:ec2:<region>:<account>:<resource>`. */
export function ec2Arn(ctx: AccountContext, resource: string): string {
  return `arn:${ctx.partition}:ec2:${ctx.region}:${ctx.accountId}:${resource}`;
}

/**
 * EBS snapshot ARNs carry no account id (`arn:aws:ec2:<region>::snapshot/<id>`);
 * with one, a statement matches no snapshot at all and the driver's snapshot calls fail.
 */
export function ec2SnapshotArn(ctx: AccountContext): string {
  return `arn:${ctx.partition}:ec2:${ctx.region}::snapshot/*`;
}

/** The condition that limits an action to resources tagged as this cluster's. */
export function ownedByCluster(ctx: AccountContext, prefix = "aws:ResourceTag"): Condition {
  return { StringEquals: { [`${prefix}/kubernetes.io/cluster/${ctx.clusterName}`]: "owned" } };
}

/** The condition that limits a create/tag call to requests that tag the resource as this cluster's. */
export function taggedForCluster(ctx: AccountContext): Condition {
  return { StringEquals: { [`aws:RequestTag/kubernetes.io/cluster/${ctx.clusterName}`]: "owned" } };
}

/** The bucket-policy statement that refuses every request made without TLS. */
export function denyRequestsWithoutTls(bucketArn: string): ResourcePolicyStatement {
  return {
    Sid: "DenyRequestsWithoutTls",
    Effect: "Deny",
    Principal: "*",
    Action: "s3:*",
    Resource: [bucketArn, `${bucketArn}/*`],
    Condition: { Bool: { "aws:SecureTransport": "false" } },
  };
}
