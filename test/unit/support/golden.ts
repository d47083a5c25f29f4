/**
 * Golden files (kOps style): rendered artifacts checked in under test/golden/ so a
 * pull request shows exactly what changes. `UPDATE_GOLDEN=1` rewrites them.
 */
import * as fs from "node:fs";
import * as path from "node:path";

export const GOLDEN_ROOT = path.resolve(__dirname, "..", "..", "golden");

/**
 * An assertion comparing `actual` with `test/golden/<subdir>/<name>`. Strings are
 * compared as they are; anything else as pretty-printed JSON with a final newline.
 */
export function goldenIn(subdir: string): (name: string, actual: unknown) => void {
  const dir = path.join(GOLDEN_ROOT, subdir);
  return (name, actual) => {
    const file = path.join(dir, name);
    const text = typeof actual === "string" ? actual : `${JSON.stringify(actual, null, 2)}\n`;
    if (process.env.UPDATE_GOLDEN === "1") {
      fs.mkdirSync(path.dirname(file), { recursive: true });
      fs.writeFileSync(file, text);
    }
    if (!fs.existsSync(file)) throw new Error(`golden file ${file} is missing; run with UPDATE_GOLDEN=1 to create it`);
    expect(text).toBe(fs.readFileSync(file, "utf8"));
  };
}
