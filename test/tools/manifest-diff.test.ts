/**
 * The pull-request manifest diff (.github/scripts/manifest-diff.sh) on two real
 * `npm run synth` outputs: the default values and a values file that changes one chart.
 */
import { execFileSync } from "node:child_process";
import * as fs from "node:fs";
import * as os from "node:os";
import * as path from "node:path";

const root = path.join(__dirname, "../..");
const script = path.join(root, ".github/scripts/manifest-diff.sh");

function synth(out: string, valuesFile?: string): void {
  execFileSync("node", ["-r", "./charts/swc-register.js", "charts/main.ts", "--out", out, ...(valuesFile ? ["--values", valuesFile] : [])], { cwd: root, stdio: "pipe" });
}

describe("manifest-diff.sh", () => {
  const dir = fs.mkdtempSync(path.join(os.tmpdir(), "manifest-diff-"));
  afterAll(() => fs.rmSync(dir, { recursive: true, force: true }));

  it("reports only the chart whose manifests changed, as a unified diff", () => {
    const values = path.join(dir, "values.yaml");
    fs.writeFileSync(values, "grafana:\n  host: dashboards.example.org\n");
    synth(path.join(dir, "base"));
    synth(path.join(dir, "pr"), values);
    const md = execFileSync("bash", [script, path.join(dir, "base"), path.join(dir, "pr")], { encoding: "utf8" });
    expect(md).toMatch(/^1 of \d+ chart files changed\.$/m);
    expect(md).toContain("<code>grafana.k8s.yaml</code>");
    expect(md).toMatch(/^-\s+- host: grafana\.apps\.example\.com$/m);
    expect(md).toMatch(/^\+\s+- host: dashboards\.example\.org$/m);
    expect(md).not.toContain("<code>object-detection.k8s.yaml</code>");
  }, 120_000);

  it("says so when nothing changed", () => {
    const md = execFileSync("bash", [script, path.join(dir, "base"), path.join(dir, "base")], { encoding: "utf8" });
    expect(md).toMatch(/No change in any of the \d+ charts\./);
  });
});
