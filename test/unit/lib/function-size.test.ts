/**
 * House style (README "Where things are", ../shared/design.md): charts are wiring plus
 * one construct per component, so no function in charts/ or constructs/ grows past
 * about 80 lines. Generated CRD imports (`imports/` folders) are exempt.
 */
import * as fs from "node:fs";
import * as path from "node:path";
import * as ts from "typescript";

const REPO = path.resolve(__dirname, "..", "..", "..");
/** "About 80": a little slack for a long literal, none for a second responsibility. */
const MAX_LINES = 90;

function sourceFiles(dir: string): string[] {
  return fs.readdirSync(path.join(REPO, dir), { withFileTypes: true }).flatMap((e) => {
    const rel = path.join(dir, e.name);
    if (e.isDirectory()) return e.name === "imports" ? [] : sourceFiles(rel);
    return e.name.endsWith(".ts") ? [rel] : [];
  });
}

/** `file:line name (n lines)` for every function-like node longer than `max` lines. */
export function longFunctions(file: string, text: string, max: number): string[] {
  const source = ts.createSourceFile(file, text, ts.ScriptTarget.ES2022, true);
  const found: string[] = [];
  const visit = (node: ts.Node): void => {
    if (ts.isFunctionLike(node) && "body" in node && node.body) {
      const start = source.getLineAndCharacterOfPosition(node.getStart(source)).line;
      const end = source.getLineAndCharacterOfPosition(node.getEnd()).line;
      const lines = end - start + 1;
      if (lines > max) {
        const name = node.name && ts.isIdentifier(node.name) ? node.name.text : ts.isConstructorDeclaration(node) ? "constructor" : "(anonymous)";
        found.push(`${file}:${start + 1} ${name} (${lines} lines)`);
      }
    }
    ts.forEachChild(node, visit);
  };
  visit(source);
  return found;
}

describe("function size in charts/ and constructs/", () => {
  it("finds a function that is too long (the check can fail)", () => {
    const body = Array.from({ length: MAX_LINES }, (_, i) => `  const v${i} = ${i};`).join("\n");
    expect(longFunctions("probe.ts", `export function big(): void {\n${body}\n}\n`, MAX_LINES)).toEqual(["probe.ts:1 big (92 lines)"]);
  });

  it.each([...sourceFiles("charts"), ...sourceFiles("constructs")])(`%s has no function over ${MAX_LINES} lines`, (file) => {
    expect(longFunctions(file, fs.readFileSync(path.join(REPO, file), "utf8"), MAX_LINES)).toEqual([]);
  });
});
