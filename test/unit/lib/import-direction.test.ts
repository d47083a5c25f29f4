/**
 * The import-direction rule of eslint.config.mjs: lib/ → constructs/ → charts/ →
 * infra/, never upwards. Each case lints a one-line file at a real path of the
 * layer, so the rule is checked as `npm run lint` applies it.
 */
import { spawnSync } from "child_process";
import * as path from "path";

const REPO = path.resolve(__dirname, "..", "..", "..");

// ESLint's config is an ES module, which Jest's CommonJS runtime cannot load: run the CLI.
function directionErrors(file: string, source: string): string[] {
  const eslint = path.join(REPO, "node_modules", "eslint", "bin", "eslint.js");
  const run = spawnSync(process.execPath, [eslint, "--stdin", "--stdin-filename", file, "--format", "json"], {
    cwd: REPO,
    input: `${source}\nexport const used = x;\n`,
    encoding: "utf8",
  });
  if (run.stdout.trim() === "") throw new Error(`eslint printed nothing: ${run.stderr}`);
  const [result] = JSON.parse(run.stdout) as { messages: { ruleId: string | null; message: string }[] }[];
  return result.messages.filter((m) => m.ruleId === "no-restricted-imports").map((m) => m.message);
}

describe("import direction", () => {
  it.each([
    ["constructs/probe.ts", 'import { x } from "../charts/registry";', "constructs/ must not import charts/"],
    ["constructs/probe.ts", 'import { x } from "../infra/config";', "constructs/ must not import infra/"],
    ["charts/dask/probe.ts", 'import { x } from "../../infra/config/cluster";', "charts/ must not import infra/"],
    ["lib/probe.ts", 'import { x } from "../constructs/names";', "lib/ must not import constructs/"],
    ["charts/probe.ts", 'import x = require("../infra/index");', "charts/ must not import infra/"],
  ])("%s: %s is rejected", (file, source, expected) => {
    const errors = directionErrors(file, source);
    expect(errors).toHaveLength(1);
    expect(errors[0]).toContain(expected);
  }, 30_000);

  it.each([
    ["charts/dask/probe.ts", 'import { x } from "../../constructs/names";'],
    ["charts/dask/probe.ts", 'import { x } from "../../lib/validate";'],
    ["infra/cluster/probe.ts", 'import { x } from "../../charts/registry";'],
    ["constructs/probe.ts", 'import { x } from "./names";'],
  ])("%s: %s is allowed", (file, source) => {
    expect(directionErrors(file, source)).toEqual([]);
  }, 30_000);
});
