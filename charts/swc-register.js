/**
 * Require hook that compiles TypeScript with SWC (already a dev dependency, the
 * same compiler Jest uses) so `npm run synth` starts in about a second:
 * ts-node's TypeScript transpiler costs several seconds for the chart sources.
 * Transpile only; `npm run typecheck` does the type checking.
 *
 *   node -r ./charts/swc-register.js charts/main.ts
 *
 * Source maps are generated only when Node applies them to stack traces
 * (`NODE_OPTIONS=--enable-source-maps`): otherwise nothing reads them, and inline
 * maps triple the code Node has to load. There is no .swcrc: the options below are
 * the whole configuration, so SWC is told not to look for one next to every file.
 */
"use strict";
const fs = require("node:fs");
const Module = require("node:module");
const swc = require("@swc/core");

Module._extensions[".ts"] = function compileTypeScript(module, filename) {
  const source = fs.readFileSync(filename, "utf8");
  const { code } = swc.transformSync(source, {
    filename,
    swcrc: false,
    jsc: { parser: { syntax: "typescript" }, target: "es2022" },
    module: { type: "commonjs" },
    sourceMaps: process.sourceMapsEnabled ? "inline" : false,
  });
  module._compile(code, filename);
};
