/**
 * The README is the user's reference: every stack configuration key the program
 * accepts must have a row in its configuration table, the quick-start commands
 * must be the ones package.json defines, and "Where things are" must name every
 * source folder (and only folders that exist).
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

  describe("Where things are", () => {
    const start = readme.indexOf("\n## Where things are");
    const table = readme.slice(start, readme.indexOf("\n## ", start + 1));
    const listed = [...table.matchAll(/^\| ((?:`[^`]+`(?:, )?)+) \|/gm)].flatMap((m) => [...m[1].matchAll(/`([^`]+)`/g)].map((p) => p[1].replace(/\/$/, "")));

    it("lists only paths that exist", () => {
      expect(listed.length).toBeGreaterThan(5);
      for (const p of listed) expect([p, fs.existsSync(path.join(REPO, p))]).toEqual([p, true]);
    });

    it("names every top-level source folder and every folder of infra/", () => {
      const dirs = (d: string) =>
        fs
          .readdirSync(path.join(REPO, d), { withFileTypes: true })
          .filter((e) => e.isDirectory() && !e.name.startsWith(".") && !["node_modules", "dist", "bin", "docs"].includes(e.name))
          .map((e) => (d === "." ? e.name : `${d}/${e.name}`));
      const expected = [...dirs(".").filter((d) => d !== "test" && d !== "infra"), ...dirs("infra"), "test/tools", "test/bench"];
      for (const d of expected) expect([d, listed.includes(d)]).toEqual([d, true]);
    });
  });
});
