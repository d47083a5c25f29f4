/**
 * Stand-ins for the tls provider's computed outputs under Pulumi mocks: labelled fake
 * PEMs, so a test can tell which key or certificate ended up where. Pass `tlsState`
 * as (part of) the harness's `resourceState`.
 */
import * as crypto from "node:crypto";

/** A fake PEM that names the resource it stands for. */
export function fakePem(kind: string, name: string): string {
  return `-----BEGIN ${kind}-----\nFAKE-${name}\n-----END ${kind}-----\n`;
}

const publicKeys = new Map<string, string>();

/**
 * A real RSA public key per resource name (generated once per test process): the
 * service-account issuer parses it into its JWKS. Its private half is never used.
 */
export function mockPublicKeyPem(name: string): string {
  let pem = publicKeys.get(name);
  if (!pem) {
    pem = crypto.generateKeyPairSync("rsa", { modulusLength: 1024 }).publicKey.export({ type: "spki", format: "pem" }).toString();
    publicKeys.set(name, pem);
  }
  return pem;
}

/** Computed attributes of the tls resources. */
export function tlsState(r: { type: string; name: string }): Record<string, string> | undefined {
  switch (r.type) {
    case "tls:index/privateKey:PrivateKey":
      return { privateKeyPem: fakePem("RSA PRIVATE KEY", r.name), publicKeyPem: mockPublicKeyPem(r.name) };
    case "tls:index/selfSignedCert:SelfSignedCert":
    case "tls:index/locallySignedCert:LocallySignedCert":
      return { certPem: fakePem("CERTIFICATE", r.name) };
    case "tls:index/certRequest:CertRequest":
      return { certRequestPem: fakePem("CERTIFICATE REQUEST", r.name) };
    default:
      return undefined;
  }
}

/** Inputs that the SDK marks secret reach the mock monitor wrapped; this unwraps them. */
export function plain(value: unknown): unknown {
  const secretSig = "4dabf18193072939515e22adb298388d";
  if (value && typeof value === "object" && secretSig in value) return (value as unknown as { value: unknown }).value;
  return value;
}
