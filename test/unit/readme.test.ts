/**
 * The README is the user's reference: every stack configuration key the program
 * accepts must have a row in its configuration table, and the quick-start
 * commands must be the ones package.json defines.
 */
import * as fs from "node:fs";
import * as path from "node:path";
import { knownKeys } from "../../infra/config";

const REPO = path.resolve(__dirname, "..", "..");
const readme = fs.readFileSync(path.join(REPO, "README.md"), "utf8");
const configSection = readme.slice(readme.indexOf("\n## Configuration"), readme.indexOf("\n## ", readme.indexOf("\n## Configuration") + 1));

describe("README", () => {
  it.each(knownKeys())("documents the configuration key %s in the configuration table", (key) => {
    expect(configSection).toMatch(new RegExp(`^\\| \`${key.replace(/[.*+?^${}()|[\]\\]/g, "\\$&")}(\\.[^\`]*)?\` \\|`, "m"));
  });

  it("quick start names the scripts package.json defines", () => {
    const scripts = JSON.parse(fs.readFileSync(path.join(REPO, "package.json"), "utf8")).scripts as Record<string, string>;
    expect(readme).toContain("npm ci && npm run synth");
    expect(readme).toContain("npm test");
    expect(Object.keys(scripts)).toEqual(expect.arrayContaining(["synth", "test", "test:unit", "typecheck", "lint", "bench"]));
  });
});
