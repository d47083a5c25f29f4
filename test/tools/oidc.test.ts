/**
 * IAM roles for service accounts against the real kube-apiserver, flagged as the
 * control plane is (control-plane-init.sh): the discovery document and JWKS Pulumi
 * publishes (infra/aws/oidc.ts) equal what the server serves for its own key, and a
 * token the server mints for a service account with the `sts.amazonaws.com` audience
 * verifies against that JWKS and carries the issuer, subject and audience the role's
 * trust policy (infra/policies/trust.ts) requires. STS itself cannot run here; what it
 * checks (signature by a JWKS key, `iss` = provider URL, `aud` in the provider's client
 * IDs, the trust policy's StringEquals on `sub` and `aud`) is checked below.
 */
import * as crypto from "node:crypto";
import * as https from "node:https";
import { TestApiServer } from "./apiserver";
import { discoveryDocument, jwksDocument } from "../../infra/aws/oidc";
import { ADDON_SERVICE_ACCOUNTS } from "../../infra/aws/identity";
import { issuerHostPath, serviceAccountTrustPolicy, STS_AUDIENCE } from "../../infra/policies/trust";

jest.setTimeout(300_000);

const ISSUER = "https://demo-oidc-1.s3.us-east-1.amazonaws.com";
const PROVIDER_ARN = `arn:aws:iam::123456789012:oidc-provider/${issuerHostPath(ISSUER)}`;
const SA = ADDON_SERVICE_ACCOUNTS.ebsCsiController;

function fetchJson(server: TestApiServer, path: string, accept: string): Promise<unknown> {
  return new Promise((resolve, reject) => {
    const req = https.get(
      new URL(path, server.url),
      { ca: server.caCertPem, headers: { Authorization: `Bearer ${server.token}`, Accept: accept } },
      (res) => {
        let body = "";
        res.on("data", (d) => (body += d));
        res.on("end", () => (res.statusCode === 200 ? resolve(JSON.parse(body)) : reject(new Error(`GET ${path}: ${res.statusCode} ${body}`))));
      },
    );
    req.on("error", reject);
  });
}

interface Jwt {
  header: { alg: string; kid: string };
  claims: { iss: string; sub: string; aud: string[]; exp: number };
  signed: Buffer;
  signature: Buffer;
}

function decode(token: string): Jwt {
  const [h, c, s] = token.split(".");
  const json = (part: string) => JSON.parse(Buffer.from(part, "base64url").toString("utf8"));
  return { header: json(h), claims: json(c), signed: Buffer.from(`${h}.${c}`), signature: Buffer.from(s, "base64url") };
}

/** What STS does with the token and the published JWKS: find the key by kid, verify RS256. */
function verifiesAgainst(jwt: Jwt, jwks: ReturnType<typeof jwksDocument>): boolean {
  const jwk = jwks.keys.find((k) => k.kid === jwt.header.kid);
  if (!jwk || jwt.header.alg !== "RS256") return false;
  const key = crypto.createPublicKey({ key: { kty: "RSA", n: jwk.n, e: jwk.e }, format: "jwk" });
  return crypto.verify("sha256", jwt.signed, key, jwt.signature);
}

describe("service-account issuer on the real kube-apiserver", () => {
  let server: TestApiServer;
  let token: string;

  beforeAll(async () => {
    server = await TestApiServer.start({ serviceAccountIssuer: ISSUER });
    const sa = await server.client.request("POST", `/api/v1/namespaces/${SA.namespace}/serviceaccounts`, {
      apiVersion: "v1",
      kind: "ServiceAccount",
      metadata: { name: SA.name, namespace: SA.namespace },
    });
    expect([201, 409]).toContain(sa.status);
    const res = await server.client.request("POST", `/api/v1/namespaces/${SA.namespace}/serviceaccounts/${SA.name}/token`, {
      apiVersion: "authentication.k8s.io/v1",
      kind: "TokenRequest",
      spec: { audiences: [STS_AUDIENCE], expirationSeconds: 3600 },
    });
    if (res.status !== 201) throw new Error(`TokenRequest: ${res.status} ${res.body}\n${server.apiserverLog()}`);
    token = JSON.parse(res.body).status.token;
  });
  afterAll(async () => {
    await server?.stop();
  });

  test("the published discovery document and JWKS equal what kube-apiserver serves", async () => {
    expect(await fetchJson(server, "/.well-known/openid-configuration", "application/json")).toEqual(discoveryDocument(ISSUER));
    // The server answers the JWKS only as its registered media type.
    expect(await fetchJson(server, "/openid/v1/jwks", "application/jwk-set+json")).toEqual(jwksDocument(server.serviceAccountPublicKeyPem));
  });

  test("a token for STS verifies against the published JWKS with the claims the trust policy requires", () => {
    const jwt = decode(token);
    expect(verifiesAgainst(jwt, jwksDocument(server.serviceAccountPublicKeyPem))).toBe(true);
    expect(jwt.claims.iss).toBe(ISSUER);
    expect(jwt.claims.aud).toEqual([STS_AUDIENCE]);

    const trust = serviceAccountTrustPolicy({ providerArn: PROVIDER_ARN, issuerUrl: ISSUER, serviceAccount: SA });
    const eq = trust.Statement[0].Condition!.StringEquals;
    const host = issuerHostPath(jwt.claims.iss);
    expect(eq[`${host}:sub`]).toBe(jwt.claims.sub);
    expect(jwt.claims.aud).toContain(eq[`${host}:aud`]);
  });

  test("a token signed by another key, or tampered with, does not verify", () => {
    const jwt = decode(token);
    const other = crypto.generateKeyPairSync("rsa", { modulusLength: 2048 }).publicKey.export({ type: "spki", format: "pem" }).toString();
    const foreign = jwksDocument(other);
    expect(verifiesAgainst(jwt, { keys: [{ ...foreign.keys[0], kid: jwt.header.kid }] })).toBe(false);
    const tampered = { ...jwt, signed: Buffer.from(jwt.signed.toString().replace(/\.[^.]+$/, `.${Buffer.from(JSON.stringify({ ...jwt.claims, sub: "system:serviceaccount:kube-system:default" })).toString("base64url")}`)) };
    expect(verifiesAgainst(tampered, jwksDocument(server.serviceAccountPublicKeyPem))).toBe(false);
  });

  test("the API server refuses the STS token for itself (its audiences are its issuers)", async () => {
    const { KubeClient } = await import("./kube-client");
    const asPod = new KubeClient(server.url, server.caCertPem, token);
    expect((await asPod.request("GET", "/api/v1/namespaces")).status).toBe(401);
  });
});
