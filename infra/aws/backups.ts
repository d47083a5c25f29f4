/**
 * The bucket for this cluster's etcd snapshots: versioned, encrypted with the cluster
 * key, private, TLS-only, with old snapshots expired after the retention period.
 * The control plane's `etcd-backup.timer` writes `snapshots/etcd-<UTC time>.db`
 * (infra/nodes/bootstrap/etcd-backup.sh); README "Restore etcd from a snapshot" reads them back.
 */
import * as aws from "@pulumi/aws";
import * as pulumi from "@pulumi/pulumi";
import { backupBucketPolicy } from "../policies/backup-bucket";
import { resourceTags } from "./tags";

/** Key prefix of the snapshots inside the bucket. */
export const SNAPSHOT_PREFIX = "snapshots/";

/**
 * Lifecycle rules: a snapshot is current for `retentionDays`, then kept as a noncurrent
 * version for as long again (an accidental delete or overwrite stays recoverable), then gone.
 */
export function backupLifecycleRules(retentionDays: number): aws.types.input.s3.BucketLifecycleConfigurationRule[] {
  if (!Number.isInteger(retentionDays) || retentionDays < 1) {
    throw new RangeError(`etcd backup retention must be a whole number of days >= 1, got ${retentionDays}`);
  }
  return [
    {
      id: "expire-snapshots",
      status: "Enabled",
      filter: { prefix: SNAPSHOT_PREFIX },
      expiration: { days: retentionDays },
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
