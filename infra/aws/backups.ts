/**
 * The bucket for this cluster's etcd snapshots: versioned, encrypted with the cluster
 * key, private, TLS-only. The control plane's `etcd-backup.timer` writes
 * `snapshots/etcd-<UTC time>.db` (infra/nodes/bootstrap/etcd-backup.sh) and then keeps the
 * newest {@link snapshotsToKeep} current by deleting older ones; a replacement control plane
 * restores the newest by itself (control-plane-init.sh), README "Restore etcd from a
 * snapshot" reads any of them back.
 *
 * Nothing expires by age alone: if backups stop, the last snapshots stay, however old
 * (an age-based expiry would silently leave an empty bucket). The node may delete objects
 * but not versions, so a retired snapshot stays recoverable as a noncurrent version for
 * the retention period.
 */
import * as aws from "@pulumi/aws";
import * as pulumi from "@pulumi/pulumi";
import { backupBucketPolicy } from "../policies/backup-bucket";
import { resourceTags } from "./tags";

/** Key prefix of the snapshots inside the bucket. */
export const SNAPSHOT_PREFIX = "snapshots/";

/**
 * How many snapshots the backup job keeps current: one retention period's worth at the
 * configured interval (7 days hourly: 168), at least 3. Pure.
 */
export function snapshotsToKeep(retentionDays: number, intervalMinutes: number): number {
  if (!Number.isInteger(intervalMinutes) || intervalMinutes < 1) {
    throw new RangeError(`etcd backup interval must be a whole number of minutes >= 1, got ${intervalMinutes}`);
  }
  return Math.max(3, Math.ceil((retentionDays * 24 * 60) / intervalMinutes));
}

/**
 * Lifecycle rules: current snapshots never expire (the backup job retires all but the
 * newest N); a retired or overwritten one is kept as a noncurrent version for
 * `retentionDays` (an accidental or malicious delete stays recoverable), then gone.
 */
export function backupLifecycleRules(retentionDays: number): aws.types.input.s3.BucketLifecycleConfigurationRule[] {
  if (!Number.isInteger(retentionDays) || retentionDays < 1) {
    throw new RangeError(`etcd backup retention must be a whole number of days >= 1, got ${retentionDays}`);
  }
  return [
    {
      id: "expire-retired-snapshots",
      status: "Enabled",
      filter: { prefix: SNAPSHOT_PREFIX },
      noncurrentVersionExpiration: { noncurrentDays: retentionDays },
      abortIncompleteMultipartUpload: { daysAfterInitiation: 1 },
    },
    {
      // Once every version of a key has expired, the delete marker left behind is removed too.
      id: "remove-expired-delete-markers",
      status: "Enabled",
      filter: { prefix: SNAPSHOT_PREFIX },
      expiration: { expiredObjectDeleteMarker: true },
    },
  ];
}

export interface EtcdBackupBucketArgs {
  readonly clusterName: string;
  /** The cluster KMS key ({@link import("./secrets").ClusterSecrets.kmsKeyArn}). */
  readonly kmsKeyArn: pulumi.Input<string>;
  readonly retentionDays: number;
  /**
   * Whether `pulumi destroy` deletes the bucket with its snapshots. The platform's
   * rule is that destroy leaves nothing behind; copy snapshots out first if needed.
   * @default true
   */
  readonly forceDestroy?: boolean;
  /**
   * Extra tags for every resource.
   * @default {}
   */
  readonly tags?: Readonly<Record<string, string>>;
}

export class EtcdBackupBucket extends pulumi.ComponentResource {
  readonly bucketName: pulumi.Output<string>;
  readonly bucketArn: pulumi.Output<string>;

  constructor(name: string, args: EtcdBackupBucketArgs, opts?: pulumi.ComponentResourceOptions) {
    super("platform:infra:EtcdBackupBucket", name, {}, opts);
    const parent = { parent: this };
    const rules = backupLifecycleRules(args.retentionDays);

    const bucket = new aws.s3.Bucket(
      name,
      {
        // Bucket names are global; the prefix keeps this cluster's name in front for IAM and humans.
        bucketPrefix: `${args.clusterName}-etcd-`,
        forceDestroy: args.forceDestroy ?? true,
        tags: resourceTags(args.clusterName, args.tags ?? {}, `${args.clusterName}-etcd-backups`),
      },
      parent,
    );
    const publicAccess = new aws.s3.BucketPublicAccessBlock(
      name,
      { bucket: bucket.id, blockPublicAcls: true, blockPublicPolicy: true, ignorePublicAcls: true, restrictPublicBuckets: true },
      parent,
    );
    new aws.s3.BucketOwnershipControls(name, { bucket: bucket.id, rule: { objectOwnership: "BucketOwnerEnforced" } }, parent);
    const versioning = new aws.s3.BucketVersioning(
      name,
      { bucket: bucket.id, versioningConfiguration: { status: "Enabled" } },
      parent,
    );
    new aws.s3.BucketServerSideEncryptionConfiguration(
      name,
      {
        bucket: bucket.id,
        rules: [
          {
            applyServerSideEncryptionByDefault: { sseAlgorithm: "aws:kms", kmsMasterKeyId: args.kmsKeyArn },
            // One KMS data key per bucket instead of per object: fewer KMS calls, same key.
            bucketKeyEnabled: true,
          },
        ],
      },
      parent,
    );
    new aws.s3.BucketPolicy(
      name,
      { bucket: bucket.id, policy: bucket.arn.apply((arn) => JSON.stringify(backupBucketPolicy(arn))) },
      // S3 rejects a policy while the public access block is still being applied.
      { parent: this, dependsOn: [publicAccess] },
    );
    new aws.s3.BucketLifecycleConfiguration(
      name,
      { bucket: bucket.id, rules },
      // Noncurrent-version rules only make sense once versioning is on.
      { parent: this, dependsOn: [versioning] },
    );

    this.bucketName = bucket.bucket;
    this.bucketArn = bucket.arn;
    this.registerOutputs({ bucketName: this.bucketName, bucketArn: this.bucketArn });
  }
}
