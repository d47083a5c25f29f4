/**
 * `npm run check-config` checks a stack file without the Pulumi CLI or AWS and
 * prints what `pulumi preview` would, saying which checks it could not run.
 */
import * as fs from "node:fs";
import * as os from "node:os";
import * as path from "node:path";
import { spawnSync } from "node:child_process";
import { checkStackFile } from "../../../../infra/config/check-cli";

const REPO = path.resolve(__dirname, "..", "..", "..", "..");

function stackFile(text: string): string {
  const dir = fs.mkdtempSync(path.join(os.tmpdir(), "check-config-"));
  const file = path.join(dir, "Pulumi.ci.yaml");
  fs.writeFileSync(file, text);
  return file;
}

describe("npm run check-config", () => {
  it("finds the dev stack valid and says which checks need AWS", async () => {
    const result = await checkStackFile(path.join(REPO, "Pulumi.dev.yaml"));
    expect(result.status).toBe(0);
    expect(result.err).toEqual([]);
    expect(result.out).toEqual([expect.stringMatching(/^skipped: the checks against the AWS account and region .* need AWS/), expect.stringMatching(/Pulumi\.dev\.yaml: valid$/)]);
  });

  it("prints every problem in the words of the program, warnings, and the secrets it could not read", async () => {
    const file = stackFile(
      [
        "config:",
        "  aws:region: eu-west-1",
        "  kubeadm-aws-platform:clusterName: Dev",
        '  kubeadm-aws-platform:apiAllowedCidrs: ["203.0.113.7/32"]',
        '  kubeadm-aws-platform:sshAllowedCidrs: ["0.0.0.0/0", "0.0.0.0/0"]',
        "  kubeadm-aws-platform:sshKeyName: ops",
        "  kubeadm-aws-platform:tags: { cost-center: 42 }",
        "  kubeadm-aws-platform:workloads:",
        "    telegramBotToken:",
        "      secure: v1:AAAA",
        "",
      ].join("\n"),
    );
    const result = await checkStackFile(file);
    expect(result.status).toBe(1);
    expect(result.out).toContain("skipped: workloads.telegramBotToken is encrypted; `pulumi preview` checks its value");
    expect(result.err).toEqual([
      expect.stringMatching(/^warning: sshAllowedCidrs\[0\]: "0\.0\.0\.0\/0" opens SSH .* Session Manager/),
      [
        "error: Invalid stack configuration (2 problems); nothing was created:",
        `  - clusterName: got "Dev"; allowed: a DNS label: lowercase letters, digits and '-', starting with a letter, not ending with '-', at most 20 characters`,
        '  - sshAllowedCidrs[1]: got "0.0.0.0/0"; allowed: a block not already in the list (sshAllowedCidrs[0] is the same); each entry becomes a security group rule of its own',
      ].join("\n"),
    ]);
  });

  it("runs as the npm script, exiting 1 on a problem", () => {
    const file = stackFile("config:\n  aws:region: eu-west-1\n  kubeadm-aws-platform:clusterName: dev\n");
    const run = spawnSync("npm", ["run", "-s", "check-config", "--", "--file", file], { cwd: REPO, encoding: "utf8", timeout: 60_000 });
    expect(run.status).toBe(1);
    expect(run.stderr).toContain("apiAllowedCidrs: got nothing (the key is missing); allowed: a non-empty list of IPv4 CIDR blocks");
  }, 70_000);
});
