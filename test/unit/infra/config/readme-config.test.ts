/**
 * The README's configuration examples against the real check:
 * - every `pulumi config set` example (outside "Common mistakes"), applied to a copy
 *   of Pulumi.dev.yaml the way the CLI stores it, yields a valid configuration;
 * - every entry of "Common mistakes" prints exactly the lines the README shows
 *   (problems as `pulumi preview` lists them, warnings as it prints them), with the
 *   region's lookups answered like the mocks answer them.
 */
import * as fs from "node:fs";
import * as path from "node:path";
import { parse } from "yaml";
import { checkConfig } from "../../../../infra/config";
import type { RegionLookups } from "../../../../infra/config/lookups";
import { stackFileConfig } from "../../../../infra/config/stack-file";
import { formatWarning } from "../../../../infra/config/warnings";
import { formatProblem } from "../../../../lib/validate";
import { TEST_INSTANCE_TYPES } from "../../support/pulumi-mocks";
import { applyConfigCommand } from "./fixtures/config-cli";

const REPO = path.resolve(__dirname, "..", "..", "..", "..");
const PROJECT = "kubeadm-aws-platform";
const readme = fs.readFileSync(path.join(REPO, "README.md"), "utf8");
const MISTAKES_HEADING = "#### Common mistakes";
const mistakesStart = readme.indexOf(MISTAKES_HEADING);
const mistakesEnd = readme.indexOf("\n#", mistakesStart + MISTAKES_HEADING.length);
const mistakes = readme.slice(mistakesStart, mistakesEnd);
const elsewhere = readme.slice(0, mistakesStart) + readme.slice(mistakesEnd);

/** The region the dev stack names, as the mocks' region would answer for it. */
const DEV_ZONES = ["eu-west-1a", "eu-west-1b", "eu-west-1c"];
const lookups: RegionLookups = {
  availabilityZones: async () => DEV_ZONES,
  offeredInstanceTypes: async (types) => types.filter((t) => TEST_INSTANCE_TYPES.includes(t)),
  similarInstanceTypes: async (type) => TEST_INSTANCE_TYPES.filter((t) => t.split(".")[0] === type.split(".")[0] || t.split(".")[1] === type.split(".")[1]),
  imageArchitecture: async () => "x86_64",
};

const devConfig = () => (parse(fs.readFileSync(path.join(REPO, "Pulumi.dev.yaml"), "utf8")) as { config: Record<string, unknown> }).config;

/**
 * What a user types for a `<placeholder>` value in an example, by key. A new
 * placeholder needs a sample here (the test says which); secrets need none (the
 * value is stored encrypted and is not checked offline).
 */
const PLACEHOLDER_SAMPLES: Readonly<Record<string, string>> = {
  // The shape of a real digest (this one is of the empty input).
  "objectDetection.yolov5WeightsSha256": "e3b0c44298fc1c149afbf4c8996fb92427ae41e4649b934ca495991b7852b855",
};

function withSample(command: string): string {
  if (command.includes("--secret")) return command;
  const m = /^pulumi config set .*?'?([\w.[\]"-]+)'? '(<[^>]+>)'$/.exec(command);
  if (!m) return command;
  const sample = PLACEHOLDER_SAMPLES[m[1]];
  if (sample === undefined) throw new Error(`no sample value for the placeholder ${m[2]} of ${m[1]}: add one to PLACEHOLDER_SAMPLES`);
  return command.replace(`'${m[2]}'`, sample);
}

/** The problems and warnings lines the check prints after `commands` on a copy of the dev stack. */
async function printed(commands: readonly string[]): Promise<string[]> {
  const config = devConfig();
  for (const c of commands.map(withSample)) expect({ c, applied: applyConfigCommand(config, PROJECT, c) }).toEqual({ c, applied: true });
  const { raw, region } = stackFileConfig(config, PROJECT);
  const report = await checkConfig(raw, { region, lookups });
  return [...report.problems.map(formatProblem), ...report.warnings.map((w) => `warning: ${formatWarning(w)}`)];
}

/** `pulumi config ...` lines of each sh code block (one example), and each inline `pulumi config set ...` span. */
function examples(text: string): string[][] {
  const out: string[][] = [];
  const blockRe = /```(?:sh|bash|shell)\n([\s\S]*?)```/g;
  for (const m of text.matchAll(blockRe)) {
    const lines = m[1].split("\n").map((l) => l.trim()).filter((l) => l.startsWith("pulumi config set") || l.startsWith("pulumi config rm"));
    if (lines.length > 0) out.push(lines);
  }
  const inBlocks = new Set(out.flat().map((l) => l.replace(/\s+#.*$/, "").replace(/\s+/g, " ")));
  const withoutBlocks = text.replace(blockRe, "");
  for (const m of withoutBlocks.matchAll(/`(pulumi config set[^`]*)`/g)) {
    const line = m[1].replace(/\s+/g, " ");
    // A mention of the command, not an example: placeholders or no value.
    if (/<\w[^>]*>/.test(line) || line.split(" ").filter((w) => !w.startsWith("--")).length < 5) continue;
    // A step of an example shown in full in a code block (e.g. "Scaling a pool by hand"): tested there.
    if (inBlocks.has(line)) continue;
    out.push([line]);
  }
  return out;
}

describe("README configuration examples", () => {
  const found = examples(elsewhere);

  it("finds the examples", () => {
    expect(found.length).toBeGreaterThanOrEqual(6);
  });

  it.each(found.map((e) => [e.join(" && "), e]))("%s gives a valid configuration", async (_name, commands) => {
    expect(await printed(commands as string[])).toEqual([]);
  });
});

describe("README Common mistakes", () => {
  // Each entry: an sh block of commands, then a text block of what is printed.
  const entries = [...mistakes.matchAll(/```sh\n([\s\S]*?)```\s*```text\n([\s\S]*?)```/g)].map((m) => ({
    commands: m[1].split("\n").map((l) => l.trim()).filter(Boolean),
    output: m[2].split("\n").filter(Boolean),
  }));

  it("lists at least 8 mistakes", () => {
    expect(entries.length).toBeGreaterThanOrEqual(8);
  });

  it.each(entries.map((e) => [e.commands.join(" && "), e]))("%s prints what the README shows", async (_name, entry) => {
    const e = entry as (typeof entries)[number];
    expect(await printed(e.commands)).toEqual(e.output);
  });
});
