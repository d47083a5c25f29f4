/** The cluster KMS key's key policy. Pure. */
import type { ResourcePolicyDocument } from "./document";

export interface KeyPolicyProps {
  readonly accountId: string;
  readonly partition: string;
  readonly region: string;
  /** The partition's DNS suffix, e.g. `amazonaws.com`. */
  readonly dnsSuffix: string;
}

/** Services allowed to use the cluster key on a caller's behalf. */
export function keyServices(p: Pick<KeyPolicyProps, "region" | "dnsSuffix">): string[] {
  return [`secretsmanager.${p.region}.${p.dnsSuffix}`, `s3.${p.region}.${p.dnsSuffix}`];
}

/**
 * The cluster key's policy. Administration is delegated to IAM in this account (the
 * AWS default, which keeps the key manageable and avoids locking everyone out), and
 * nobody may use the key for data directly: only through Secrets Manager and S3, so a
 * role that can read a cluster secret cannot also decrypt arbitrary ciphertext with it.
 */
export function clusterKeyPolicy(p: KeyPolicyProps): ResourcePolicyDocument {
  return {
    Version: "2012-10-17",
    Statement: [
      {
        Sid: "AccountAdministersTheKeyThroughIam",
        Effect: "Allow",
        Principal: { AWS: `arn:${p.partition}:iam::${p.accountId}:root` },
        Action: "kms:*",
        Resource: "*",
      },
      {
        Sid: "DataKeysOnlyThroughSecretsManagerAndS3",
        Effect: "Deny",
        Principal: { AWS: "*" },
        Action: ["kms:Decrypt", "kms:Encrypt", "kms:GenerateDataKey*", "kms:ReEncrypt*"],
        Resource: "*",
        Condition: { StringNotEquals: { "kms:ViaService": keyServices(p) } },
      },
    ],
  };
}
