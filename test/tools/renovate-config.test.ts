/**
 * renovate.json checked by Renovate's own `renovate-config-validator` (from the
 * `renovate` npm package, installed into the tools cache by renovate-validator.sh, about
 * a minute the first time). A known-bad config must fail, so a validator that checks
 * nothing fails the run. That the custom managers find every pin is a unit test
 * (test/unit/infra/versions-evidence.test.ts), which needs no Renovate.
 */
import { execFileSync, spawnSync } from "node:child_process";
import * as fs from "node:fs";
import * as os from "node:os";
import * as path from "node:path";

jest.setTimeout(600_000);

const REPO = path.resolve(__dirname, "..", "..");
let validator: string;
let work: string;

beforeAll(() => {
  const start = Date.now();
  const out = execFileSync("bash", [path.join(__dirname, "renovate-validator.sh")], { encoding: "utf8", stdio: ["ignore", "pipe", "inherit"] });
  validator = out.trim().split("\n").pop() ?? "";
  if (Date.now() - start > 10_000) console.log(`renovate-config-validator ready after ${Math.round((Date.now() - start) / 1000)} s`);
  work = fs.mkdtempSync(path.join(os.tmpdir(), "renovate-"));
});
afterAll(() => fs.rmSync(work, { recursive: true, force: true }));

/** Runs the validator in `cwd`, where it finds renovate.json by itself (as repository config). */
function validate(cwd: string) {
  const r = spawnSync(validator, ["--strict"], { cwd, encoding: "utf8", env: { ...process.env, LOG_LEVEL: "info" } });
  if (r.error) throw r.error;
  return { code: r.status, out: `${r.stdout}${r.stderr}` };
}

test("renovate.json passes renovate-config-validator --strict", () => {
  const r = validate(REPO);
  expect(r.out).toContain("renovate.json");
  expect({ code: r.code, out: r.out }).toEqual({ code: 0, out: expect.stringContaining("Config validated successfully") });
});

test("a config with an unknown option and a bad manager fails the validator", () => {
  const bad = { ...JSON.parse(fs.readFileSync(path.join(REPO, "renovate.json"), "utf8")), groupNme: "typo" };
  bad.customManagers = [{ customType: "regex", matchStrings: ["(?<currentValue>"] }];
  fs.writeFileSync(path.join(work, "renovate.json"), JSON.stringify(bad));
  const r = validate(work);
  expect(r.code).not.toBe(0);
  expect(r.out).toMatch(/groupNme|Invalid configuration option/);
});
