/**
 * The one rule for generated CRD imports (README, "Generated CRD imports"):
 * every `imports/` folder holds generated code only, next to the executable
 * generate.sh that remakes each of its files; ESLint skips them and
 * .gitattributes marks them generated.
 */
import { execFileSync, spawnSync } from "node:child_process";
import * as fs from "node:fs";
import * as path from "node:path";

const REPO = path.resolve(__dirname, "..", "..");

function importsFolders(dir: string): string[] {
  const out: string[] = [];
  for (const entry of fs.readdirSync(path.join(REPO, dir), { withFileTypes: true })) {
    if (!entry.isDirectory() || entry.name === "node_modules" || entry.name.startsWith(".")) continue;
    const rel = path.join(dir, entry.name);
    // git keeps no empty folder: one left behind in a working tree is not a finding.
    if (entry.name === "imports") {
      if (fs.readdirSync(path.join(REPO, rel)).length > 0) out.push(rel);
    } else out.push(...importsFolders(rel));
  }
  return out;
}

const folders = ["lib", "constructs", "charts", "infra"].filter((d) => fs.existsSync(path.join(REPO, d))).flatMap((d) => importsFolders(d));
const generated = folders.flatMap((dir) =>
  fs
    .readdirSync(path.join(REPO, dir))
    .filter((f) => f.endsWith(".ts"))
    .map((f) => path.join(dir, f)),
);

describe("generated CRD imports", () => {
  test("there are some (the rule is not vacuous)", () => {
    expect(generated).toContain(path.join("charts", "gosty", "imports", "chaos-mesh.org.ts"));
  });

  test.each(folders)("%s has an executable generate.sh that names each of its files", (dir) => {
    const script = path.join(REPO, dir, "generate.sh");
    expect(fs.existsSync(script)).toBe(true);
    expect(fs.statSync(script).mode & 0o111).not.toBe(0);
    const text = fs.readFileSync(script, "utf8");
    for (const file of fs.readdirSync(path.join(REPO, dir)).filter((f) => f !== "generate.sh")) {
      expect([file, text.includes(file)]).toEqual([file, true]);
    }
  });

  test.each(generated)("%s is not linted and is marked generated", (file) => {
    // ESLint's config is an ES module, which Jest's CommonJS runtime cannot load: run the CLI.
    const eslint = path.join(REPO, "node_modules", "eslint", "bin", "eslint.js");
    const run = spawnSync(process.execPath, [eslint, "--format", "json", file], { cwd: REPO, encoding: "utf8" });
    const [result] = JSON.parse(run.stdout) as { messages: { message: string }[] }[];
    expect(result.messages.map((m) => m.message).join("\n")).toMatch(/ignore pattern/);
    expect(execFileSync("git", ["check-attr", "linguist-generated", "--", file], { cwd: REPO, encoding: "utf8" })).toMatch(/: true$/m);
  }, 30_000);
});
