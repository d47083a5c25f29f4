/**
 * Throw-away PKI for the test servers, made with the real openssl CLI: a CA, a serving
 * certificate for 127.0.0.1/localhost signed by it, and an RSA key pair for service
 * account tokens. Keys live only in the test's temporary directory.
 */
import { execFileSync } from "node:child_process";
import * as crypto from "node:crypto";
import * as fs from "node:fs";
import * as path from "node:path";

export interface TestPki {
  caCert: string;
  caKey: string;
  serverCert: string;
  serverKey: string;
  serviceAccountKey: string;
  serviceAccountPub: string;
}

function openssl(args: readonly string[]): void {
  execFileSync("openssl", args, { stdio: ["ignore", "ignore", "pipe"] });
}

/** Writes the PKI files under `dir` and returns their paths. */
export function makeTestPki(dir: string, commonName = "kubernetes"): TestPki {
  fs.mkdirSync(dir, { recursive: true });
  const p = (name: string) => path.join(dir, name);
  const pki: TestPki = {
    caCert: p("ca.crt"),
    caKey: p("ca.key"),
    serverCert: p("server.crt"),
    serverKey: p("server.key"),
    serviceAccountKey: p("sa.key"),
    serviceAccountPub: p("sa.pub"),
  };
  openssl(["genrsa", "-out", pki.caKey, "2048"]);
  openssl(["req", "-x509", "-new", "-key", pki.caKey, "-days", "1", "-subj", "/CN=test-ca", "-out", pki.caCert]);
  openssl(["genrsa", "-out", pki.serverKey, "2048"]);
  const ext = p("server.ext");
  fs.writeFileSync(
    ext,
    [
      "basicConstraints=CA:FALSE",
      "keyUsage=digitalSignature,keyEncipherment",
      "extendedKeyUsage=serverAuth",
      `subjectAltName=IP:127.0.0.1,DNS:localhost,DNS:${commonName}`,
    ].join("\n"),
  );
  const csr = p("server.csr");
  openssl(["req", "-new", "-key", pki.serverKey, "-subj", `/CN=${commonName}`, "-out", csr]);
  openssl([
    "x509", "-req", "-in", csr, "-CA", pki.caCert, "-CAkey", pki.caKey, "-CAcreateserial",
    "-days", "1", "-extfile", ext, "-out", pki.serverCert,
  ]);
  openssl(["genrsa", "-out", pki.serviceAccountKey, "2048"]);
  openssl(["rsa", "-in", pki.serviceAccountKey, "-pubout", "-out", pki.serviceAccountPub]);
  return pki;
}

/**
 * The CA pin `kubeadm join --discovery-token-ca-cert-hash` expects:
 * `sha256:` + hex SHA-256 of the DER-encoded SubjectPublicKeyInfo of the CA certificate.
 * Computed here with node's crypto, independently of the scripts under test.
 */
export function caCertHash(caCertPem: string): string {
  const spki = new crypto.X509Certificate(caCertPem).publicKey.export({ type: "spki", format: "der" });
  return "sha256:" + crypto.createHash("sha256").update(spki).digest("hex");
}

/** A random bearer token for the static token file. */
export function randomToken(): string {
  return crypto.randomBytes(24).toString("hex");
}
