/**
 * The program's wait for the API server (infra/cluster/access.ts) against a real
 * kube-apiserver of the pinned release: `/readyz` answers without credentials over
 * TLS checked against the cluster CA, and a server whose certificate the CA did not
 * sign is never taken for ready.
 */
import { ClusterNotReadyError, httpsReadyzProbe, waitForReadyz } from "../../infra/cluster/access";
import { TestApiServer } from "./apiserver";
import { makeTestCa } from "./pki";
import * as fs from "node:fs";
import * as os from "node:os";
import * as path from "node:path";

jest.setTimeout(300_000);

describe("waiting for /readyz on a real API server", () => {
  let api: TestApiServer;
  beforeAll(async () => {
    api = await TestApiServer.start();
  });
  afterAll(async () => {
    await api?.stop();
  });

  it("is ready, anonymously, over TLS verified with the cluster CA", async () => {
    await expect(httpsReadyzProbe(api.url, api.caCertPem)).resolves.toMatchObject({ status: 200, body: "ok" });
    await waitForReadyz({ server: api.url, caCertPem: api.caCertPem, timeoutMs: 30_000, sessionCommand: "aws ssm start-session --target i-0" });
  });

  it("never trusts a server the cluster CA did not sign", async () => {
    const dir = fs.mkdtempSync(path.join(os.tmpdir(), "readyz-ca-"));
    const other = makeTestCa(dir, "some-other-ca");
    const error = await waitForReadyz({
      server: api.url,
      caCertPem: fs.readFileSync(other.caCert, "utf8"),
      timeoutMs: 1_000,
      intervalMs: 200,
      sessionCommand: "aws ssm start-session --target i-0",
    }).catch((e: unknown) => e);
    fs.rmSync(dir, { recursive: true, force: true });
    expect(error).toBeInstanceOf(ClusterNotReadyError);
    expect((error as Error).message).toMatch(/certificate/i);
  });
});
