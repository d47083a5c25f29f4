/**
 * Require hook that compiles TypeScript with SWC (already a dev dependency, the
 * same compiler Jest uses) so `npm run synth` starts in about a second:
 * ts-node's TypeScript transpiler costs several seconds for the chart sources.
 * Transpile only; `npm run typecheck` does the type checking.
 *
 *   node -r ./charts/swc-register.js charts/main.ts
 */
"use strict";
const fs = require("node:fs");
const Module = require("node:module");
const swc = require("@swc/core");

Module._extensions[".ts"] = function compileTypeScript(module, filename) {
  const source = fs.readFileSync(filename, "utf8");
  const { code } = swc.transformSync(source, {
    filename,
    jsc: { parser: { syntax: "typescript" }, target: "es2022" },
    module: { type: "commonjs" },
    sourceMaps: "inline",
  });
  module._compile(code, filename);
};
