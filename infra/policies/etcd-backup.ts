/**
 * The control plane's access to this cluster's etcd snapshot bucket: list it,
 * upload snapshots, read them back for a restore, and retire all but the newest N
 * (etcd-backup.sh). Deleting an object of the versioned bucket only hides it; deleting a
 * version (s3:DeleteObjectVersion) is not granted, so a compromised node cannot erase
 * the backups: a retired snapshot stays until the bucket's lifecycle expires it. Pure.
 */
import { policy, PolicyDocument } from "./document";

export interface EtcdBackupPolicyInputs {
  readonly region: string;
  readonly dnsSuffix: string;
  readonly bucketArn: string;
  /** Key prefix the snapshots live under, e.g. `snapshots/`. */
  readonly prefix: string;
  /** The cluster key the bucket encrypts with by default. */
  readonly kmsKeyArn: string;
}

export function etcdBackupPolicy(inputs: EtcdBackupPolicyInputs): PolicyDocument {
  return policy(
    {
      Sid: "ListSnapshots",
      Effect: "Allow",
      Action: ["s3:ListBucket"],
      Resource: inputs.bucketArn,
      Condition: { StringLike: { "s3:prefix": [`${inputs.prefix}*`] } },
    },
    {
      Sid: "WriteReadAndRetireSnapshots",
      Effect: "Allow",
      Action: ["s3:PutObject", "s3:GetObject", "s3:DeleteObject"],
      Resource: `${inputs.bucketArn}/${inputs.prefix}*`,
    },
    {
      // SSE-KMS uploads need a data key, downloads need Decrypt.
      Sid: "UseClusterKeyThroughS3",
      Effect: "Allow",
      Action: ["kms:Decrypt", "kms:GenerateDataKey"],
      Resource: inputs.kmsKeyArn,
      Condition: { StringEquals: { "kms:ViaService": [`s3.${inputs.region}.${inputs.dnsSuffix}`] } },
    },
  );
}
