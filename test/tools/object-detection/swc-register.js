/**
 * Runs the services' TypeScript sources directly in the flow test's child
 * processes: SWC transpile-only (the compiler Jest uses), so a service starts in
 * about a second without a build step. The images run tsc's output of the same files.
 *
 *   node -r ./test/tools/object-detection/swc-register.js apps/object-detection/metering/src/main.ts
 */
"use strict";
const fs = require("node:fs");
const Module = require("node:module");
const swc = require("@swc/core");

Module._extensions[".ts"] = function compileTypeScript(module, filename) {
  const { code } = swc.transformSync(fs.readFileSync(filename, "utf8"), {
    filename,
    swcrc: false,
    jsc: { parser: { syntax: "typescript" }, target: "es2022" },
    module: { type: "commonjs" },
  });
  module._compile(code, filename);
};
