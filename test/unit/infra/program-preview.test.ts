/**
 * `pulumi preview` of the whole program on an empty stack: it evaluates, declares
 * the cluster side, and opens no TLS connection. (That the `/readyz` wait itself is
 * skipped in previews is tested with an injected probe in cluster-access.test.ts.)
 */
import * as tls from "node:tls";
import { installPulumiMocks, validStackConfig } from "../support/pulumi-mocks";

const mocks = installPulumiMocks({ preview: true, config: validStackConfig() });

describe("pulumi preview", () => {
  it("evaluates the program without contacting the cluster", async () => {
    const connect = jest.spyOn(tls, "connect");
    let error: unknown;
    jest.isolateModules(() => {
      try {
        require("../../../infra/index"); // eslint-disable-line @typescript-eslint/no-require-imports
      } catch (e) {
        error = e;
      }
    });
    await mocks.settle();
    expect(error).toBeUndefined();
    expect(connect).not.toHaveBeenCalled();
    connect.mockRestore();
    // The cluster side is declared all the same, so the preview shows it.
    expect(mocks.ofType("pulumi:providers:kubernetes")).toHaveLength(1);
    expect(mocks.ofType("kubernetes:helm.sh/v4:Chart").length).toBeGreaterThan(0);
    expect(mocks.ofType("kubernetes:yaml/v2:ConfigGroup").length).toBeGreaterThan(0);
  }, 120_000);
});
