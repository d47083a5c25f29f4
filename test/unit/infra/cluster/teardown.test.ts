/**
 * The teardown step's dynamic provider as Pulumi stores it: serialized into the
 * state and run later by `pulumi destroy` in another process. The serialized code
 * must load on its own and load the AWS SDK by `require`, not carry a copy of it.
 */
import * as fs from "node:fs";
import * as os from "node:os";
import * as path from "node:path";
import { installPulumiMocks } from "../../support/pulumi-mocks";

installPulumiMocks();

import * as pulumi from "@pulumi/pulumi";
import { teardownProvider } from "../../../../infra/cluster/teardown/index";

describe("the teardown provider, serialized", () => {
  let text: string;
  let provider: pulumi.dynamic.ResourceProvider;
  beforeAll(async () => {
    const fn = await pulumi.runtime.serializeFunction(() => teardownProvider, { isFactoryFunction: true });
    text = fn.text;
    const file = path.join(fs.mkdtempSync(path.join(os.tmpdir(), "teardown-")), "provider.js");
    fs.writeFileSync(file, text);
    // As Pulumi's dynamic provider host reads it: the module's export is the provider object.
    const loaded = require(file) as Record<string, pulumi.dynamic.ResourceProvider>; // eslint-disable-line @typescript-eslint/no-require-imports
    provider = loaded[fn.exportName];
  }, 60_000);

  it("loads the AWS SDK where it runs instead of embedding it", () => {
    for (const pkg of ["@aws-sdk/client-ec2", "@aws-sdk/client-elastic-load-balancing", "@aws-sdk/client-elastic-load-balancing-v2"]) {
      expect(text).toContain(`require("${pkg}")`);
    }
    expect(text.length).toBeLessThan(100_000);
    expect(text).not.toMatch(/DescribeVolumesCommand extends|class EC2Client/);
  });

  it("creates, diffs and updates without touching AWS", async () => {
    const props = { clusterName: "demo", region: "eu-west-1", vpcId: "vpc-1", timeoutMinutes: 20 };
    const created = await provider.create(props);
    expect(created).toEqual({ id: "demo-teardown", outs: props });
    expect(await provider.diff?.("demo-teardown", props, props)).toMatchObject({ changes: false, replaces: [] });
    expect(await provider.diff?.("demo-teardown", props, { ...props, timeoutMinutes: 30 })).toMatchObject({ changes: true, replaces: [] });
    expect(await provider.update?.("demo-teardown", props, { ...props, timeoutMinutes: 30 })).toEqual({ outs: { ...props, timeoutMinutes: 30 } });
  });
});
