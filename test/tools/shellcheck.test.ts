/**
 * Every node script under infra/bootstrap/ is handed to shellcheck (all optional
 * checks at the default severity, bash dialect). A script that shellcheck flags, or a
 * missing shellcheck, fails the test: there is no skip.
 */
import { spawnSync } from "node:child_process";
import * as fs from "node:fs";
import * as path from "node:path";
import { which } from "./tool-paths";

const BOOTSTRAP_DIR = path.resolve(__dirname, "../../infra/bootstrap");
const scripts = fs
  .readdirSync(BOOTSTRAP_DIR)
  .filter((f) => f.endsWith(".sh"))
  .sort();

describe("shellcheck", () => {
  it("finds the bootstrap scripts", () => {
    expect(scripts).toEqual(expect.arrayContaining(["node-prepare.sh", "control-plane-init.sh", "etcd-backup.sh", "bootstrap.sh"]));
  });

  it.each(scripts)("%s is clean, strict and executable by bash", (script) => {
    const shellcheck = which("shellcheck");
    if (!shellcheck) throw new Error("shellcheck is not installed (test/tools/install-system-packages.sh installs it)");
    const file = path.join(BOOTSTRAP_DIR, script);
    const run = spawnSync(shellcheck, ["--shell=bash", "--external-sources", "--format=gcc", file], { encoding: "utf8" });
    expect(run.stdout + run.stderr).toBe("");
    expect(run.status).toBe(0);

    const text = fs.readFileSync(file, "utf8");
    expect(text.startsWith("#!/usr/bin/env bash\n")).toBe(true);
    // The house rule for node scripts: stop at the first failing command, unset variable or failing pipe stage.
    expect(text).toMatch(/^set -euo pipefail$/m);
  });
});
