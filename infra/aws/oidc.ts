/**
 * The service-account issuer, published for AWS (IAM roles for service accounts on a
 * self-managed cluster, as kOps does it with service-account issuer discovery).
 *
 * kube-apiserver signs every service-account token with the key Pulumi owns
 * (pki.ts, `sa.key`) and names this issuer URL in the token's `iss`. STS validates a
 * token by fetching `<issuer>/.well-known/openid-configuration` and the JWKS it names,
 * so both documents live here, in an S3 bucket that holds nothing else: anyone may
 * read exactly those two objects (they carry the issuer URL and the PUBLIC key), and
 * nothing may be listed. An IAM OIDC provider trusts the issuer for one audience,
 * `sts.amazonaws.com`; each workload role's trust policy then names its namespace and
 * service account (policies/trust.ts).
 *
 * Thumbprints: for an issuer whose JWKS is served by S3, IAM validates the TLS chain
 * against its own library of trusted root CAs and ignores any thumbprint (IAM user
 * guide, "Create an OpenID Connect identity provider"). None is configured, so none
 * can go stale when S3 rotates its certificates.
 *
 * The documents are pure functions of the issuer URL and the public key, identical
 * to what kube-apiserver itself serves at the same paths (test/tools/oidc.test.ts
 * compares them against the real server).
 */
import * as crypto from "node:crypto";
import * as aws from "@pulumi/aws";
import * as pulumi from "@pulumi/pulumi";
import { issuerBucketPolicy } from "../policies/issuer-bucket";
import { issuerHostPath, STS_AUDIENCE } from "../policies/trust";
import { resourceTags } from "./tags";

/** Object key of the discovery document (the path OIDC defines under the issuer). */
export const DISCOVERY_KEY = ".well-known/openid-configuration";
/** Object key of the JWKS (the path kube-apiserver serves it at). */
export const JWKS_KEY = "openid/v1/jwks";

/** The issuer URL of a bucket, virtual-hosted style (no dots in the bucket name, so TLS matches). */
export function s3IssuerUrl(bucket: string, region: string, dnsSuffix = "amazonaws.com"): string {
  if (!/^[a-z0-9][a-z0-9-]{1,61}[a-z0-9]$/.test(bucket)) {
    throw new Error(`issuer bucket '${bucket}' must be a DNS label (lower-case letters, digits, '-'; no dots)`);
  }
  return `https://${bucket}.s3.${region}.${dnsSuffix}`;
}

/** kube-apiserver's key ID: base64url(SHA-256(DER of the PKIX public key)), so a token's `kid` finds its key. */
export function serviceAccountKeyId(publicKeyPem: string): string {
  const der = crypto.createPublicKey(publicKeyPem).export({ type: "spki", format: "der" });
  return crypto.createHash("sha256").update(der).digest("base64url");
}

export interface Jwks {
  readonly keys: { readonly use: "sig"; readonly kty: "RSA"; readonly kid: string; readonly alg: "RS256"; readonly n: string; readonly e: string }[];
}

/** The JWKS of the service-account public key, in kube-apiserver's shape. Only RSA keys (kubeadm's and pki.ts's kind). */
export function jwksDocument(publicKeyPem: string): Jwks {
  const key = crypto.createPublicKey(publicKeyPem);
  if (key.asymmetricKeyType !== "rsa") throw new Error(`service-account key must be RSA, got ${key.asymmetricKeyType}`);
  const jwk = key.export({ format: "jwk" });
  return { keys: [{ use: "sig", kty: "RSA", kid: serviceAccountKeyId(publicKeyPem), alg: "RS256", n: String(jwk.n), e: String(jwk.e) }] };
}

export interface DiscoveryDocument {
  readonly issuer: string;
  readonly jwks_uri: string;
  readonly response_types_supported: string[];
  readonly subject_types_supported: string[];
  readonly id_token_signing_alg_values_supported: string[];
}

/** The OpenID discovery document of `issuerUrl`, in kube-apiserver's shape. */
export function discoveryDocument(issuerUrl: string): DiscoveryDocument {
  issuerHostPath(issuerUrl);
  return {
    issuer: issuerUrl,
    jwks_uri: jwksUrl(issuerUrl),
    response_types_supported: ["id_token"],
    subject_types_supported: ["public"],
    id_token_signing_alg_values_supported: ["RS256"],
  };
}

/** Where the JWKS is published (`--service-account-jwks-uri`). */
export function jwksUrl(issuerUrl: string): string {
  return `${issuerUrl}/${JWKS_KEY}`;
}

export interface ServiceAccountIssuerArgs {
  readonly clusterName: string;
  readonly region: string;
  /** The service-account public key (pki.ts `serviceAccountPublicKeyPem`). */
  readonly serviceAccountPublicKeyPem: pulumi.Input<string>;
  /**
   * Let `pulumi destroy` delete the bucket with its two objects.
   * @default true
   */
  readonly forceDestroy?: boolean;
  /**
   * Extra tags for every resource.
   * @default {}
   */
  readonly tags?: Readonly<Record<string, string>>;
}

export class ServiceAccountIssuer extends pulumi.ComponentResource {
  /** `--service-account-issuer`: the `iss` of every token, and the IAM OIDC provider's URL. */
  readonly issuerUrl: pulumi.Output<string>;
  /** `--service-account-jwks-uri`. */
  readonly jwksUrl: pulumi.Output<string>;
  readonly providerArn: pulumi.Output<string>;
  readonly bucketName: pulumi.Output<string>;
  /** The two published objects; roles that trust the provider are only usable once these exist. */
  readonly documents: pulumi.Resource[];

  constructor(name: string, args: ServiceAccountIssuerArgs, opts?: pulumi.ComponentResourceOptions) {
    super("platform:infra:ServiceAccountIssuer", name, {}, opts);
    const parent = { parent: this };
    const tags = resourceTags(args.clusterName, args.tags ?? {}, `${args.clusterName}-oidc`);
    const partition = aws.getPartitionOutput({}, parent);

    const bucket = new aws.s3.Bucket(
      `${name}-oidc`,
      { bucketPrefix: `${args.clusterName}-oidc-`, forceDestroy: args.forceDestroy ?? true, tags },
      parent,
    );
    // ACLs stay blocked; a public bucket POLICY is allowed, and the policy below is the only grant.
    const publicAccess = new aws.s3.BucketPublicAccessBlock(
      `${name}-oidc`,
      { bucket: bucket.id, blockPublicAcls: true, ignorePublicAcls: true, blockPublicPolicy: false, restrictPublicBuckets: false },
      parent,
    );
    new aws.s3.BucketOwnershipControls(`${name}-oidc`, { bucket: bucket.id, rule: { objectOwnership: "BucketOwnerEnforced" } }, parent);
    const bucketPolicy = new aws.s3.BucketPolicy(
      `${name}-oidc`,
      { bucket: bucket.id, policy: bucket.arn.apply((arn) => JSON.stringify(issuerBucketPolicy(arn, [DISCOVERY_KEY, JWKS_KEY]))) },
      { parent: this, dependsOn: [publicAccess] },
    );

    this.issuerUrl = pulumi.all([bucket.bucket, partition.dnsSuffix]).apply(([b, s]) => s3IssuerUrl(b, args.region, s));
    this.jwksUrl = this.issuerUrl.apply(jwksUrl);
    const object = (id: string, key: string, content: pulumi.Output<string>) =>
      new aws.s3.BucketObjectv2(
        `${name}-oidc-${id}`,
        // No caching beyond a few minutes: a rotated key must reach STS soon.
        { bucket: bucket.id, key, content, contentType: "application/json", cacheControl: "max-age=300", tags },
        { parent: this, dependsOn: [bucketPolicy] },
      );
    this.documents = [
      object("discovery", DISCOVERY_KEY, this.issuerUrl.apply((u) => JSON.stringify(discoveryDocument(u)))),
      object("jwks", JWKS_KEY, pulumi.output(args.serviceAccountPublicKeyPem).apply((pem) => JSON.stringify(jwksDocument(pem)))),
    ];

    const provider = new aws.iam.OpenIdConnectProvider(
      `${name}-oidc`,
      { url: this.issuerUrl, clientIdLists: [STS_AUDIENCE], tags },
      { parent: this, dependsOn: this.documents },
    );
    this.providerArn = provider.arn;
    this.bucketName = bucket.bucket;
    this.registerOutputs({ issuerUrl: this.issuerUrl, providerArn: this.providerArn, bucketName: this.bucketName });
  }
}
