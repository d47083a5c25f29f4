import js from "@eslint/js";
import tseslint from "typescript-eslint";

/**
 * Imports point down the picture of ../shared/design.md only: lib/ is the floor,
 * constructs/ build on lib/, charts/ on constructs/ and lib/, infra/ on everything.
 * A relative import that climbs into a folder above its own layer is an error.
 */
const layer = (folder, forbidden) => ({
  files: [`${folder}/**/*.ts`],
  rules: {
    "no-restricted-imports": [
      "error",
      {
        patterns: forbidden.map((name) => ({
          regex: `^(\\.\\./)+${name}(/|$)`,
          message: `${folder}/ must not import ${name}/: imports point down only (lib → constructs → charts → infra; see README "Where things are").`,
        })),
      },
    ],
  },
});

export default tseslint.config(
  // Generated CRD imports (cdk8s import output, remade by the generate.sh next to them) are not linted.
  { ignores: ["node_modules/", "dist/", "bin/", "coverage/", "**/*.js", "**/*.mjs", "test/fixtures/", "**/imports/*.ts"] },
  js.configs.recommended,
  ...tseslint.configs.recommended,
  {
    rules: {
      "@typescript-eslint/no-unused-vars": ["error", { argsIgnorePattern: "^_", varsIgnorePattern: "^_" }],
      "no-console": "off",
    },
  },
  layer("lib", ["constructs", "charts", "infra", "apps"]),
  layer("constructs", ["charts", "infra", "apps"]),
  layer("charts", ["infra", "apps"]),
  layer("apps", ["infra", "charts", "constructs"]),
);
