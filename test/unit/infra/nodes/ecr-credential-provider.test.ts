/**
 * ecr-credential-provider.sh run with bash, the real curl and sha256sum against a local
 * HTTP server standing in for artifacts.k8s.io: the binary is checked against the SHA-256
 * recorded in the repository (passed through the env file), a binary changed on the
 * download host is refused even when the host's checksum file was changed with it, and
 * the host's checksum file is never asked for.
 */
import { spawn } from "child_process";
import * as crypto from "crypto";
import * as fs from "fs";
import * as http from "http";
import * as os from "os";
import * as path from "path";
import { AddressInfo } from "net";
import { workerBootstrapEnv } from "../../../../infra/nodes/workers";
import { ECR_CREDENTIAL_PROVIDER_SHA256 } from "../../../../infra/versions";

const SCRIPT = path.resolve(__dirname, "../../../../infra/nodes/bootstrap/ecr-credential-provider.sh");
const VERSION = "1.31.0";
const RELEASED = Buffer.from("#!/bin/sh\necho released ecr-credential-provider\n");
const TAMPERED = Buffer.from("#!/bin/sh\necho something else\n");
const sha256 = (b: Buffer) => crypto.createHash("sha256").update(b).digest("hex");
const BINARY_PATH = `/v${VERSION}/linux/amd64/ecr-credential-provider-linux-amd64`;

/** Serves `binary` and a checksum file that matches it, as a download host would. */
async function downloadHost(binary: Buffer): Promise<{ url: string; requests: string[]; close: () => Promise<void> }> {
  const requests: string[] = [];
  const server = http.createServer((req, res) => {
    requests.push(req.url ?? "");
    if (req.url === BINARY_PATH) res.end(binary);
    else if (req.url === `${BINARY_PATH}.sha256`) res.end(`${sha256(binary)}  ecr-credential-provider-linux-amd64\n`);
    else {
      res.statusCode = 404;
      res.end();
    }
  });
  await new Promise<void>((resolve) => server.listen(0, "127.0.0.1", resolve));
  const { port } = server.address() as AddressInfo;
  return { url: `http://127.0.0.1:${port}`, requests, close: () => new Promise((resolve) => server.close(() => resolve())) };
}

async function run(pinnedAmd64: string, binary: Buffer) {
  const host = await downloadHost(binary);
  const dir = fs.mkdtempSync(path.join(os.tmpdir(), "ecr-provider-"));
  fs.writeFileSync(
    path.join(dir, "bootstrap.env"),
    `ECR_CREDENTIAL_PROVIDER_VERSION='${VERSION}'\nECR_CREDENTIAL_PROVIDER_SHA256_AMD64='${pinnedAmd64}'\nECR_CREDENTIAL_PROVIDER_SHA256_ARM64=''\n`,
  );
  const child = spawn("bash", [SCRIPT], {
    env: { PATH: process.env.PATH, ROOT_DIR: path.join(dir, "root"), BOOTSTRAP_ENV: path.join(dir, "bootstrap.env"), ECR_PROVIDER_BASE_URL: host.url, NODE_ARCH: "amd64" },
  });
  let stderr = "";
  child.stderr.on("data", (d) => (stderr += d));
  const status = await new Promise<number | null>((resolve) => child.on("close", resolve));
  await host.close();
  const installed = path.join(dir, "root/usr/local/libexec/kubelet-credential-providers/ecr-credential-provider");
  const result = { status, stderr, requests: host.requests, installed: fs.existsSync(installed) ? fs.readFileSync(installed) : undefined };
  fs.rmSync(dir, { recursive: true, force: true });
  return result;
}

describe("ecr-credential-provider.sh: the download is checked against the SHA-256 in the repository", () => {
  it("installs the binary whose SHA-256 is recorded, without asking the host for a checksum", async () => {
    const r = await run(sha256(RELEASED), RELEASED);
    expect(r.status).toBe(0);
    expect(r.installed?.equals(RELEASED)).toBe(true);
    expect(r.requests).toEqual([BINARY_PATH]);
  });

  it("refuses a binary changed on the host, even though the host's checksum file matches it", async () => {
    const r = await run(sha256(RELEASED), TAMPERED);
    expect(r.status).not.toBe(0);
    expect(r.stderr).toContain(`checksum mismatch for`);
    expect(r.stderr).toContain(`expected ${sha256(RELEASED)}, got ${sha256(TAMPERED)}`);
    expect(r.installed).toBeUndefined();
  });

  it("refuses a recorded value that is not a SHA-256", async () => {
    const r = await run("abc123", RELEASED);
    expect(r.status).not.toBe(0);
    expect(r.stderr).toContain("ECR_CREDENTIAL_PROVIDER_SHA256_AMD64 'abc123' is not a SHA-256");
    expect(r.requests).toEqual([]);
  });

  it("refuses to run without a recorded value (never trusts the host's checksum file)", async () => {
    const r = await run("", RELEASED);
    expect(r.status).not.toBe(0);
    expect(r.stderr).toContain("ECR_CREDENTIAL_PROVIDER_SHA256_AMD64 '' is not a SHA-256");
    expect(r.requests).toEqual([]);
  });
});

describe("the worker env file carries the recorded SHA-256 for both architectures", () => {
  it("passes ECR_CREDENTIAL_PROVIDER_SHA256 from infra/versions.ts, each a SHA-256", () => {
    const env = workerBootstrapEnv({
      clusterName: "demo",
      region: "us-east-1",
      kubernetesVersion: "1.35.4",
      joinSecretArn: "arn:aws:secretsmanager:us-east-1:123456789012:secret:demo/join-AbCdEf",
      joinTimeoutMinutes: 30,
      pool: { name: "general", labels: {}, taints: [] },
    });
    expect(env.ECR_CREDENTIAL_PROVIDER_SHA256_AMD64).toBe(ECR_CREDENTIAL_PROVIDER_SHA256.amd64);
    expect(env.ECR_CREDENTIAL_PROVIDER_SHA256_ARM64).toBe(ECR_CREDENTIAL_PROVIDER_SHA256.arm64);
    for (const sum of Object.values(ECR_CREDENTIAL_PROVIDER_SHA256)) expect(sum).toMatch(/^[0-9a-f]{64}$/);
    expect(ECR_CREDENTIAL_PROVIDER_SHA256.amd64).not.toBe(ECR_CREDENTIAL_PROVIDER_SHA256.arm64);
  });
});
