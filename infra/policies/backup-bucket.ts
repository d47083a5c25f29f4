/** The etcd snapshot bucket's resource policy. Pure. */
import { denyRequestsWithoutTls, ResourcePolicyDocument } from "./document";

/** Denies any request that does not use TLS, and uploads that ask for an encryption other than KMS. Pure. */
export function backupBucketPolicy(bucketArn: string): ResourcePolicyDocument {
  return {
    Version: "2012-10-17",
    Statement: [
      denyRequestsWithoutTls(bucketArn),
      {
        Sid: "DenyUploadsNotEncryptedWithKms",
        Effect: "Deny",
        Principal: "*",
        Action: "s3:PutObject",
        Resource: `${bucketArn}/*`,
        // Absent header: the bucket's default (the cluster key) applies, which is fine.
        Condition: { StringNotEqualsIfExists: { "s3:x-amz-server-side-encryption": "aws:kms" } },
      },
    ],
  };
}
