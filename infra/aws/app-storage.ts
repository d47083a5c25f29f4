/**
 * The storage the charts declare (their registry entries' `aws.storage`): S3
 * buckets (private, encrypted, TLS-only, objects expiring under the declared
 * prefixes) and DynamoDB tables (on-demand, encrypted, items deleted at their TTL
 * attribute). `pulumi destroy` removes both with their contents. Nothing here
 * names a chart.
 */
import * as aws from "@pulumi/aws";
import * as pulumi from "@pulumi/pulumi";
import type { BucketDeclaration, StorageDeclaration } from "../../charts/chart-entry";
import { tlsOnlyBucketPolicy } from "../policies/app-access";
import { resourceTags } from "./tags";

/** Lifecycle rules of a declared bucket: each prefix expires, and abandoned multipart uploads go after a day. */
export function bucketLifecycleRules(b: BucketDeclaration): aws.types.input.s3.BucketLifecycleConfigurationRule[] {
  const rules: aws.types.input.s3.BucketLifecycleConfigurationRule[] = b.expirations.map((e) => {
    if (!Number.isInteger(e.days) || e.days < 1) throw new RangeError(`bucket ${b.key}: expiry of ${e.prefix} must be a whole number of days >= 1, got ${e.days}`);
    return { id: `expire-${e.prefix.replace(/[^A-Za-z0-9-]+/g, "-").replace(/-+$/, "")}`, status: "Enabled", filter: { prefix: e.prefix }, expiration: { days: e.days } };
  });
  // Parts of an upload that never completed are stored (and billed) but invisible.
  rules.push({ id: "abort-incomplete-uploads", status: "Enabled", filter: {}, abortIncompleteMultipartUpload: { daysAfterInitiation: 1 } });
  return rules;
}

/** S3 bucket names are at most 63 characters; Pulumi adds 26 to a prefix. */
const BUCKET_PREFIX_MAX_LENGTH = 37;

export interface AppStorageArgs {
  readonly clusterName: string;
  readonly tags: Readonly<Record<string, string>>;
  readonly declaration: StorageDeclaration;
}

/** The buckets and tables one chart declared (`platform:infra:<component>`, `<cluster>-<prefix>`). */
export class AppStorage extends pulumi.ComponentResource {
  readonly buckets: Readonly<Record<string, aws.s3.Bucket>>;
  readonly tables: Readonly<Record<string, aws.dynamodb.Table>>;
  /** Bucket and table names by key, for the chart's deploy context. */
  readonly bucketNames: pulumi.Output<Record<string, string>>;
  readonly tableNames: pulumi.Output<Record<string, string>>;

  constructor(name: string, args: AppStorageArgs, opts?: pulumi.ComponentResourceOptions) {
    const decl = args.declaration;
    super(`platform:infra:${decl.component}`, name, {}, opts);
    const tags = (key: string) => resourceTags(args.clusterName, args.tags, `${args.clusterName}-${decl.prefix}-${key}`, { "platform/app": decl.app });
    const buckets: Record<string, aws.s3.Bucket> = {};
    const tables: Record<string, aws.dynamodb.Table> = {};
    for (const b of decl.buckets) {
      const bucketPrefix = `${args.clusterName}-${decl.prefix}-${b.key}-`;
      if (bucketPrefix.length > BUCKET_PREFIX_MAX_LENGTH) throw new Error(`bucket ${b.key}: name prefix ${bucketPrefix} is longer than S3 allows (${BUCKET_PREFIX_MAX_LENGTH})`);
      buckets[b.key] = this.bucket(`${name}-${b.key}`, bucketPrefix, b, tags(b.key));
    }
    for (const t of decl.tables) {
      tables[t.key] = new aws.dynamodb.Table(
        `${name}-${t.key}`,
        {
          name: `${args.clusterName}-${decl.prefix}-${t.key}`,
          billingMode: "PAY_PER_REQUEST",
          hashKey: t.hashKey,
          rangeKey: t.rangeKey,
          attributes: [
            { name: t.hashKey, type: "S" },
            { name: t.rangeKey, type: "S" },
          ],
          ttl: { attributeName: t.ttlAttribute, enabled: true },
          // Encrypted with the AWS managed key (not only DynamoDB's owned key): use shows in CloudTrail.
          serverSideEncryption: { enabled: true },
          // Retention is the point of these tables: no backups that outlive it.
          pointInTimeRecovery: { enabled: false },
          deletionProtectionEnabled: false,
          tags: tags(t.key),
        },
        { parent: this },
      );
    }
    this.buckets = buckets;
    this.tables = tables;
    this.bucketNames = pulumi.all(Object.fromEntries(Object.entries(buckets).map(([k, b]) => [k, b.bucket])));
    this.tableNames = pulumi.all(Object.fromEntries(Object.entries(tables).map(([k, t]) => [k, t.name])));
    this.registerOutputs({ bucketNames: this.bucketNames, tableNames: this.tableNames });
  }

  private bucket(name: string, bucketPrefix: string, b: BucketDeclaration, tags: Record<string, string>): aws.s3.Bucket {
    const parent = { parent: this };
    // Short-lived working data: `pulumi destroy` deletes it with the bucket.
    const bucket = new aws.s3.Bucket(name, { bucketPrefix, forceDestroy: true, tags }, parent);
    const publicAccess = new aws.s3.BucketPublicAccessBlock(
      name,
      { bucket: bucket.id, blockPublicAcls: true, blockPublicPolicy: true, ignorePublicAcls: true, restrictPublicBuckets: true },
      parent,
    );
    new aws.s3.BucketOwnershipControls(name, { bucket: bucket.id, rule: { objectOwnership: "BucketOwnerEnforced" } }, parent);
    new aws.s3.BucketServerSideEncryptionConfiguration(
      name,
      { bucket: bucket.id, rules: [{ applyServerSideEncryptionByDefault: { sseAlgorithm: "AES256" } }] },
      parent,
    );
    new aws.s3.BucketPolicy(
      name,
      { bucket: bucket.id, policy: bucket.arn.apply((arn) => JSON.stringify(tlsOnlyBucketPolicy(arn))) },
      { parent: this, dependsOn: [publicAccess] },
    );
    new aws.s3.BucketLifecycleConfiguration(name, { bucket: bucket.id, rules: bucketLifecycleRules(b) }, parent);
    return bucket;
  }
}
