/**
 * The service-account issuer: the discovery document and JWKS made from the key (the
 * real kube-apiserver comparison is test/tools/oidc.test.ts), the bucket policy (golden,
 * two public objects and nothing else), and the component under Pulumi mocks.
 */
import { installPulumiMocks } from "../../support/pulumi-mocks";

const mocks = installPulumiMocks();

import * as crypto from "node:crypto";
import { discoveryDocument, DISCOVERY_KEY, jwksDocument, JWKS_KEY, s3IssuerUrl, ServiceAccountIssuer, serviceAccountKeyId } from "../../../../infra/aws/oidc";
import { issuerBucketPolicy } from "../../../../infra/policies/issuer-bucket";
import { goldenIn } from "../../support/golden";
import { allows } from "../../support/iam-eval";

const { publicKey, privateKey } = crypto.generateKeyPairSync("rsa", { modulusLength: 2048 });
const pem = publicKey.export({ type: "spki", format: "pem" }).toString();
const ISSUER = "https://demo-oidc-1.s3.us-east-1.amazonaws.com";

describe("discovery documents", () => {
  it("the JWKS holds the service-account public key under kube-apiserver's key ID", () => {
    const jwks = jwksDocument(pem);
    expect(jwks.keys).toHaveLength(1);
    const [key] = jwks.keys;
    expect(key).toMatchObject({ use: "sig", kty: "RSA", alg: "RS256" });
    expect(key.kid).toBe(crypto.createHash("sha256").update(publicKey.export({ type: "spki", format: "der" })).digest("base64url"));
    // The JWK is the same key: a signature by the private key verifies with it.
    const fromJwk = crypto.createPublicKey({ key: { kty: "RSA", n: key.n, e: key.e }, format: "jwk" });
    const sig = crypto.sign("sha256", Buffer.from("payload"), privateKey);
    expect(crypto.verify("sha256", Buffer.from("payload"), fromJwk, sig)).toBe(true);
    const other = crypto.generateKeyPairSync("rsa", { modulusLength: 2048 }).publicKey.export({ type: "spki", format: "pem" }).toString();
    expect(serviceAccountKeyId(other)).not.toBe(key.kid);
  });

  it("rejects a key that is not RSA", () => {
    const ec = crypto.generateKeyPairSync("ec", { namedCurve: "P-256" }).publicKey.export({ type: "spki", format: "pem" }).toString();
    expect(() => jwksDocument(ec)).toThrow(/must be RSA/);
  });

  it("the discovery document names the issuer and the JWKS under it", () => {
    expect(discoveryDocument(ISSUER)).toEqual({
      issuer: ISSUER,
      jwks_uri: `${ISSUER}/openid/v1/jwks`,
      response_types_supported: ["id_token"],
      subject_types_supported: ["public"],
      id_token_signing_alg_values_supported: ["RS256"],
    });
    expect(() => discoveryDocument(`${ISSUER}/`)).toThrow(/trailing/);
  });

  it("the issuer URL is the bucket's virtual-hosted name, and refuses names TLS would not match", () => {
    expect(s3IssuerUrl("demo-oidc-1", "us-east-1")).toBe(ISSUER);
    expect(s3IssuerUrl("demo-oidc-1", "cn-north-1", "amazonaws.com.cn")).toBe("https://demo-oidc-1.s3.cn-north-1.amazonaws.com.cn");
    expect(() => s3IssuerUrl("demo.oidc", "us-east-1")).toThrow(/no dots/);
  });
});

describe("issuer bucket policy", () => {
  const bucket = "arn:aws:s3:::demo-oidc-1";
  const doc = issuerBucketPolicy(bucket, [DISCOVERY_KEY, JWKS_KEY]);

  it("matches its golden file", () => {
    goldenIn("iam")("issuer-bucket-policy.json", doc);
  });

  it("lets anyone read the two documents and nothing else", () => {
    const allowStatements = [{ Statement: doc.Statement.filter((s) => s.Effect === "Allow").map((s) => ({ ...s, Action: [s.Action].flat() })) }];
    expect(allows(allowStatements, "s3:GetObject", `${bucket}/.well-known/openid-configuration`)).toBe(true);
    expect(allows(allowStatements, "s3:GetObject", `${bucket}/openid/v1/jwks`)).toBe(true);
    expect(allows(allowStatements, "s3:GetObject", `${bucket}/sa.key`)).toBe(false);
    expect(allows(allowStatements, "s3:ListBucket", bucket)).toBe(false);
    expect(allows(allowStatements, "s3:PutObject", `${bucket}/openid/v1/jwks`)).toBe(false);
    expect(() => issuerBucketPolicy(bucket, ["*"])).toThrow(/exact keys/);
  });
});

describe("ServiceAccountIssuer component", () => {
  let issuer: ServiceAccountIssuer;
  beforeAll(async () => {
    issuer = new ServiceAccountIssuer("demo", { clusterName: "demo", region: "us-east-1", serviceAccountPublicKeyPem: pem });
    await mocks.settle();
  });

  it("publishes exactly the discovery document and the JWKS, as JSON", () => {
    const objects = mocks.ofType("aws:s3/bucketObjectv2:BucketObjectv2");
    expect(objects.map((o) => o.inputs.key).sort()).toEqual([DISCOVERY_KEY, JWKS_KEY].sort());
    for (const o of objects) expect(o.inputs.contentType).toBe("application/json");
    const jwks = objects.find((o) => o.inputs.key === JWKS_KEY)!;
    expect(JSON.parse(jwks.inputs.content)).toEqual(jwksDocument(pem));
    const discovery = JSON.parse(objects.find((o) => o.inputs.key === DISCOVERY_KEY)!.inputs.content);
    expect(discovery.jwks_uri).toBe(`${discovery.issuer}/${JWKS_KEY}`);
    expect(discovery.issuer).toMatch(/^https:\/\/[a-z0-9-]+\.s3\.us-east-1\.amazonaws\.com$/);
  });

  it("keeps ACLs blocked and lets only the bucket policy grant public reads", () => {
    const block = mocks.one("aws:s3/bucketPublicAccessBlock:BucketPublicAccessBlock");
    expect(block.inputs).toMatchObject({ blockPublicAcls: true, ignorePublicAcls: true, blockPublicPolicy: false, restrictPublicBuckets: false });
    const policy = JSON.parse(mocks.one("aws:s3/bucketPolicy:BucketPolicy").inputs.policy);
    const publicReads = policy.Statement.filter((s: { Effect: string }) => s.Effect === "Allow");
    expect(publicReads).toHaveLength(1);
    expect(publicReads[0].Resource).toHaveLength(2);
  });

  it("registers the issuer with IAM for the STS audience only, with no thumbprint to go stale", () => {
    const provider = mocks.one("aws:iam/openIdConnectProvider:OpenIdConnectProvider");
    expect(provider.inputs.clientIdLists).toEqual(["sts.amazonaws.com"]);
    expect(provider.inputs.thumbprintLists).toBeUndefined();
    expect(provider.inputs.url).toMatch(/^https:\/\/demo-oidc-/);
    expect(issuer.documents).toHaveLength(2);
  });
});
