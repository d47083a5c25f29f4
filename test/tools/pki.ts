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

export interface TestCa {
  caCert: string;
  caKey: string;
}

/** A self-signed CA under `dir`. */
export function makeTestCa(dir: string, name = "test-ca"): TestCa {
  fs.mkdirSync(dir, { recursive: true });
  const ca = { caCert: path.join(dir, `${name}.crt`), caKey: path.join(dir, `${name}.key`) };
  openssl(["genrsa", "-out", ca.caKey, "2048"]);
  openssl(["req", "-x509", "-new", "-key", ca.caKey, "-days", "1", "-subj", `/CN=${name}`, "-out", ca.caCert]);
  return ca;
}

/**
 * A serving certificate signed by `ca` for `sans` (`IP:1.2.3.4` or `DNS:name`, wildcards allowed).
 * Returns the certificate and key paths.
 */
export function issueServerCert(ca: TestCa, dir: string, name: string, sans: readonly string[]): { cert: string; key: string } {
  const p = (suffix: string) => path.join(dir, `${name}.${suffix}`);
  openssl(["genrsa", "-out", p("key"), "2048"]);
  fs.writeFileSync(
    p("ext"),
    [
      "basicConstraints=CA:FALSE",
      "keyUsage=digitalSignature,keyEncipherment",
      "extendedKeyUsage=serverAuth",
      `subjectAltName=${sans.join(",")}`,
    ].join("\n"),
  );
  openssl(["req", "-new", "-key", p("key"), "-subj", `/CN=${name}`, "-out", p("csr")]);
  openssl([
    "x509", "-req", "-in", p("csr"), "-CA", ca.caCert, "-CAkey", ca.caKey, "-CAcreateserial",
    "-days", "1", "-extfile", p("ext"), "-out", p("crt"),
  ]);
  return { cert: p("crt"), key: p("key") };
}

/** Writes the PKI files of a test API server under `dir` and returns their paths. */
export function makeTestPki(dir: string, commonName = "kubernetes"): TestPki {
  const ca = makeTestCa(dir, "ca");
  const server = issueServerCert(ca, dir, "server", ["IP:127.0.0.1", "DNS:localhost", `DNS:${commonName}`]);
  const serviceAccountKey = path.join(dir, "sa.key");
  const serviceAccountPub = path.join(dir, "sa.pub");
  openssl(["genrsa", "-out", serviceAccountKey, "2048"]);
  openssl(["rsa", "-in", serviceAccountKey, "-pubout", "-out", serviceAccountPub]);
  return { ...ca, serverCert: server.cert, serverKey: server.key, serviceAccountKey, serviceAccountPub };
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
