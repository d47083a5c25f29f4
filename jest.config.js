// Jest only transpiles (SWC); `npm run typecheck` is the type check.
const transform = { "^.+\\.ts$": ["@swc/jest", { jsc: { target: "es2022" } }] };

/** @type {import('jest').Config} */
module.exports = {
  projects: [
    {
      displayName: "unit",
      testEnvironment: "node",
      transform,
      testMatch: ["<rootDir>/test/unit/**/*.test.ts"],
    },
    {
      // Tests that hand generated artifacts to real programs (kube-apiserver,
      // kubeadm, shellcheck, moto + AWS CLI, ...). See test/tools/README.md.
      displayName: "tools",
      testEnvironment: "node",
      transform,
      testMatch: ["<rootDir>/test/tools/**/*.test.ts"],
      globalSetup: "<rootDir>/test/tools/global-setup.ts",
    },
  ],
};
