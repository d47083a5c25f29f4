/** The service-account issuer bucket's resource policy. Pure. */
import { denyRequestsWithoutTls, type ResourcePolicyDocument } from "./document";

/**
 * Anyone may read the two objects STS fetches (the discovery document and the public
 * keys), over TLS, and nothing else of the bucket: no listing, no other key. Both
 * objects are public by nature (an OIDC issuer publishes them); what they hold is the
 * issuer URL and the service-account PUBLIC key. `objectKeys` are keys in the bucket.
 */
export function issuerBucketPolicy(bucketArn: string, objectKeys: readonly string[]): ResourcePolicyDocument {
  if (objectKeys.length === 0 || objectKeys.some((k) => k === "" || k.includes("*") || k.startsWith("/"))) {
    throw new Error(`issuer bucket policy: object keys must be exact keys, got ${JSON.stringify(objectKeys)}`);
  }
  return {
    Version: "2012-10-17",
    Statement: [
      {
        Sid: "PublicReadOfDiscoveryDocumentAndKeys",
        Effect: "Allow",
        Principal: "*",
        Action: "s3:GetObject",
        Resource: objectKeys.map((k) => `${bucketArn}/${k}`),
      },
      denyRequestsWithoutTls(bucketArn),
    ],
  };
}
