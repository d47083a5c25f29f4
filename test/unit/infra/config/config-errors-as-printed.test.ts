/**
 * What `pulumi preview` prints for a bad configuration: the real Node.js language
 * host (@pulumi/pulumi/cmd/run, Pulumi.yaml's `main`) runs the program in a child
 * process against mocks instead of an engine (fixtures/mock-engine.ts). The user
 * must see the problems, once, and no stack trace or object dump.
 */
import { spawnSync } from "node:child_process";
import * as path from "node:path";
import { parse } from "yaml";
import * as fs from "node:fs";

const REPO = path.resolve(__dirname, "..", "..", "..", "..");

function languageHost(config: Record<string, unknown>, region = "us-east-1") {
  const main = (parse(fs.readFileSync(path.join(REPO, "Pulumi.yaml"), "utf8")) as { main: string }).main;
  const result = spawnSync(
    process.execPath,
    [
      "-r",
      "./charts/swc-register.js",
      "-r",
      "./test/unit/infra/config/fixtures/mock-engine.ts",
      "node_modules/@pulumi/pulumi/cmd/run/index.js",
      "--monitor=mock",
      "--project=kubeadm-aws-platform",
      "--stack=unit",
      main,
    ],
    { cwd: REPO, encoding: "utf8", timeout: 110_000, env: { ...process.env, STACK_CONFIG: JSON.stringify(config), STACK_REGION: region } },
  );
  return { status: result.status, stdout: result.stdout, stderr: result.stderr };
}

describe("a bad configuration as the Pulumi language host reports it", () => {
  jest.setTimeout(120_000);

  it("prints every problem once, as Pulumi prints its own errors, with no stack trace", () => {
    const run = languageHost({ clusterName: "Bad_Name", apiAllowedCidrs: ["203.0.113.7/32"], controlPlaneInstanceType: "t3.meduim" });
    const errors = run.stderr.split("\n").filter((l) => l.startsWith("error:"));
    expect(errors).toEqual(["error: [runtime] Invalid stack configuration (2 problems); nothing was created:"]);
    expect(run.stderr).toContain('\n  - clusterName: got "Bad_Name"; allowed: a DNS label');
    expect(run.stderr).toContain('\n  - controlPlaneInstanceType: got "t3.meduim"; allowed: an EC2 instance type offered in us-east-1 (did you mean t3.medium?)');
    // What an Error other than a RunError would add: the host's "unhandled exception" banner, the stack, an object dump.
    expect(run.stderr).not.toMatch(/unhandled exception|^\s+at |\{\s*$|Warning/m);
    // 32: the host's "the program failed and the user has been told why".
    expect(run.status).toBe(32);
    // Only the stack's own root resource: nothing the program declares.
    expect(run.stdout).toContain("registered resources: 1\n");
  });
});
