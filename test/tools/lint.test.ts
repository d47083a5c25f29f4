/**
 * Linters on the artifacts that have no program of ours to run them:
 * - shellcheck on every shell file in the repository;
 * - parliament on every IAM policy document (the golden files under test/golden/iam/);
 * - kube-score on every synthesized manifest (default values and every values file);
 * - actionlint on every GitHub Actions workflow.
 * Each must report nothing, or only findings justified in a checked-in allow-list
 * (test/tools/parliament-allow.yaml, .kube-score.yaml); an allow-list entry that no
 * longer matches anything fails too, so the lists cannot rot.
 * Every linter also gets a known-bad input, so a linter that silently checks nothing
 * (wrong flags, wrong binary) fails the run.
 */
import { spawnSync } from "node:child_process";
import * as fs from "node:fs";
import * as os from "node:os";
import * as path from "node:path";
import { parse as parseYaml, stringify } from "yaml";
import { synthesize, valueSets } from "./synthesized";
import { tool } from "./tool-paths";

jest.setTimeout(180_000);

const REPO = path.resolve(__dirname, "..", "..");
let work: string;
beforeAll(() => {
  work = fs.mkdtempSync(path.join(os.tmpdir(), "lint-"));
});
afterAll(() => fs.rmSync(work, { recursive: true, force: true }));

function run(cmd: string, args: readonly string[], opts: { cwd?: string; input?: string } = {}) {
  const r = spawnSync(cmd, args, { encoding: "utf8", cwd: opts.cwd ?? REPO, input: opts.input ?? "", maxBuffer: 64 * 1024 * 1024 });
  if (r.error) throw r.error;
  return { code: r.status, stdout: r.stdout, stderr: r.stderr, out: `${r.stdout}${r.stderr}` };
}

/** Files tracked by git or new and not ignored, matching `patterns` (git pathspecs). */
function repoFiles(...patterns: string[]): string[] {
  const r = run("git", ["ls-files", "--cached", "--others", "--exclude-standard", "--", ...patterns]);
  if (r.code !== 0) throw new Error(`git ls-files failed: ${r.out}`);
  return [...new Set(r.stdout.split("\n").filter((f) => f !== "" && fs.existsSync(path.join(REPO, f))))].sort();
}

function writeTemp(name: string, text: string): string {
  const file = path.join(work, name);
  fs.mkdirSync(path.dirname(file), { recursive: true });
  fs.writeFileSync(file, text);
  return file;
}

// ---------------------------------------------------------------------------------------
describe("shellcheck", () => {
  const scripts = repoFiles("*.sh");

  test("there are shell files to check", () => {
    expect(scripts).toEqual(expect.arrayContaining(["test/tools/build-tools.sh"]));
  });

  test.each(scripts)("%s has no findings", (file) => {
    // -x follows `source` of files that exist; every severity, style included.
    const r = run("shellcheck", ["--external-sources", "--severity=style", "--format=gcc", file]);
    expect(r.out).toBe("");
    expect(r.code).toBe(0);
  });

  // The house rule for node scripts: bash, stopping at the first failing command,
  // unset variable or failing pipe stage.
  const bootstrapScripts = scripts.filter((f) => f.startsWith("infra/nodes/bootstrap/"));

  test("the node bootstrap scripts are among them", () => {
    expect(bootstrapScripts).toEqual(
      expect.arrayContaining(["node-prepare.sh", "control-plane-init.sh", "etcd-backup.sh", "bootstrap.sh"].map((f) => `infra/nodes/bootstrap/${f}`)),
    );
  });

  test.each(bootstrapScripts)("%s is a strict bash script", (file) => {
    const text = fs.readFileSync(path.join(REPO, file), "utf8");
    expect(text.startsWith("#!/usr/bin/env bash\n")).toBe(true);
    expect(text).toMatch(/^set -euo pipefail$/m);
  });

  test("reports a known-bad script", () => {
    const bad = writeTemp("bad.sh", '#!/usr/bin/env bash\nrm -rf $1/*\n');
    const r = run("shellcheck", ["--format=gcc", bad]);
    expect(r.code).not.toBe(0);
    expect(r.out).toMatch(/SC2086/);
  });
});

// ---------------------------------------------------------------------------------------
interface ParliamentFinding {
  issue: string;
  title?: string;
  severity?: string;
  detail?: unknown;
  location?: { line?: number; actions?: string[] };
}

interface ParliamentAllow {
  /** Golden file (relative to test/golden/iam/) the finding is in. */
  file: string;
  /** Parliament issue code, e.g. RESOURCE_STAR. */
  issue: string;
  /** Sid of the statement the finding points at, when it points at one. */
  sid?: string;
  /** Substring of one finding item (an element of the finding's `detail`, as compact JSON). */
  match?: string;
  /** Why this finding is accepted. */
  reason: string;
}

/** One accepted-or-not unit: a finding's detail element, with the statement it is in. */
interface ParliamentItem {
  issue: string;
  sid?: string;
  text: string;
}

function parliament(file: string): ParliamentItem[] {
  const text = fs.readFileSync(file, "utf8");
  // The policy goes in on stdin: parliament refuses --file when stdin is not a terminal.
  const r = run(tool("PARLIAMENT"), ["--json", "--minimum_severity", "INFO", "--include-community-auditors"], { input: text });
  // parliament exits 0 with no findings and 1 with findings; anything else is a crash.
  if (r.code !== 0 && r.code !== 1) throw new Error(`parliament failed on ${file} (exit ${r.code}): ${r.out}`);
  const lines = text.split("\n");
  // Findings point at a statement's opening line; its Sid is the first one from there on.
  const sidAt = (line: number | undefined) => {
    if (line === undefined) return undefined;
    for (let i = line - 1; i < lines.length; i++) {
      const m = /"Sid":\s*"([^"]*)"/.exec(lines[i]);
      if (m) return m[1];
    }
    return undefined;
  };
  return r.stdout
    .split("\n")
    .filter((l) => l.trim() !== "")
    .map((l) => JSON.parse(l) as ParliamentFinding)
    .flatMap((f) => {
      const sid = sidAt(f.location?.line);
      const items = Array.isArray(f.detail) && f.detail.length > 0 ? f.detail : [f.detail || f.location?.actions || f.title];
      return items.map((item) => ({ issue: f.issue, ...(sid ? { sid } : {}), text: JSON.stringify(item) }));
    });
}

describe("parliament (IAM policy documents)", () => {
  const goldenDir = path.join(REPO, "test", "golden", "iam");
  const policies = fs.existsSync(goldenDir)
    ? fs
        .readdirSync(goldenDir, { recursive: true })
        .map(String)
        .filter((f) => f.endsWith(".json"))
        .sort()
    : [];
  const allowFile = path.join(__dirname, "parliament-allow.yaml");
  const allow = (parseYaml(fs.readFileSync(allowFile, "utf8")) as { allow?: ParliamentAllow[] } | null)?.allow ?? [];
  const used = new Set<ParliamentAllow>();

  test("there are policy documents to check", () => {
    expect(policies.length).toBeGreaterThan(0);
  });

  test("every allow-list entry names a file, an issue and a reason", () => {
    for (const a of allow) {
      expect(a).toEqual({
        file: expect.any(String),
        issue: expect.stringMatching(/^[A-Z_]+$/),
        ...(a.sid !== undefined ? { sid: expect.any(String) } : {}),
        ...(a.match !== undefined ? { match: expect.any(String) } : {}),
        reason: expect.stringMatching(/\S{10,}/),
      });
    }
  });

  test.each(policies)("%s has no unjustified findings", (file) => {
    const unjustified = parliament(path.join(goldenDir, file)).filter((item) => {
      const entry = allow.find(
        (a) =>
          a.file === file &&
          a.issue === item.issue &&
          (a.sid === undefined || a.sid === item.sid) &&
          (a.match === undefined || item.text.includes(a.match)),
      );
      if (entry) used.add(entry);
      return !entry;
    });
    expect(unjustified).toEqual([]);
  });

  test("every allow-list entry is still needed", () => {
    // Runs after the per-file tests (same file, declaration order).
    expect(allow.filter((a) => !used.has(a))).toEqual([]);
  });

  test("reports a known-bad policy", () => {
    const bad = writeTemp(
      "bad-policy.json",
      JSON.stringify(
        { Version: "2012-10-17", Statement: [{ Sid: "TooBroad", Effect: "Allow", Action: ["s3:GetObject", "ec2:DescribeInstances"], Resource: "*" }] },
        null,
        2,
      ),
    );
    expect(parliament(bad)).toEqual(expect.arrayContaining([{ issue: "RESOURCE_STAR", sid: "TooBroad", text: '"s3:GetObject"' }]));
  });
});

// ---------------------------------------------------------------------------------------
interface KubeScoreIgnore {
  check: string;
  /** `Kind namespace/name` of the objects the exclusion covers; absent: the check is off everywhere. */
  objects?: string[];
  reason: string;
  /** Set when the exclusion is a known gap rather than a design decision: what should change. */
  followUp?: string;
}

interface KubeScoreConfig {
  ignore?: KubeScoreIgnore[];
  enableOptional?: { check: string; reason: string }[];
}

interface KubeScoreResult {
  object_name: string;
  type_meta: { kind: string };
  object_meta: { namespace?: string; name: string };
  checks: { check: { id: string; name: string }; grade: number; skipped: boolean; comments: { path: string; summary: string; description: string }[] | null }[];
}

interface KubeScoreFinding {
  object: string;
  check: string;
  summary: string;
}

const kubeScoreConfig = parseYaml(fs.readFileSync(path.join(REPO, ".kube-score.yaml"), "utf8")) as KubeScoreConfig;
const kubeScoreIgnores = kubeScoreConfig.ignore ?? [];

function kubeScoreArgs(): string[] {
  return [
    ...kubeScoreIgnores.filter((i) => i.objects === undefined).flatMap((i) => ["--ignore-test", i.check]),
    ...(kubeScoreConfig.enableOptional ?? []).flatMap((i) => ["--enable-optional-test", i.check]),
  ];
}

/** Findings (grade below "OK") of kube-score with the checks turned off globally in .kube-score.yaml. */
function kubeScore(files: readonly string[]): KubeScoreFinding[] {
  const r = run(tool("KUBE_SCORE"), ["score", "--output-format", "json", ...kubeScoreArgs(), ...files]);
  if (r.code !== 0 && r.code !== 1) throw new Error(`kube-score failed (exit ${r.code}): ${r.out}`);
  const results = JSON.parse(r.stdout) as KubeScoreResult[];
  return results.flatMap((o) =>
    o.checks
      .filter((c) => !c.skipped && c.grade < 10)
      .map((c) => ({
        object: `${o.type_meta.kind} ${o.object_meta.namespace ? `${o.object_meta.namespace}/` : ""}${o.object_meta.name}`,
        check: c.check.id,
        summary: (c.comments ?? []).map((cm) => `${cm.path ? `${cm.path}: ` : ""}${cm.summary}`).join("; "),
      })),
  );
}

describe("kube-score (synthesized manifests)", () => {
  const usedObjectExclusions = new Set<string>();

  test("every exclusion and optional check in .kube-score.yaml has a reason", () => {
    for (const entry of kubeScoreIgnores) {
      expect(entry).toEqual({
        check: expect.stringMatching(/^[a-z0-9-]+$/),
        ...(entry.objects !== undefined ? { objects: expect.arrayContaining([expect.stringMatching(/^[A-Za-z]+ [a-z0-9.-]+(\/[a-z0-9.-]+)?$/)]) } : {}),
        reason: expect.stringMatching(/\S{10,}/),
        ...(entry.followUp !== undefined ? { followUp: expect.stringMatching(/\S{10,}/) } : {}),
      });
    }
    for (const entry of kubeScoreConfig.enableOptional ?? []) {
      expect(entry).toEqual({ check: expect.stringMatching(/^[a-z0-9-]+$/), reason: expect.stringMatching(/\S{10,}/) });
    }
  });

  test.each(valueSets().map((s) => [s.name, s] as const))("the charts with %s have no findings", (name, set) => {
    const dir = path.join(work, "manifests", name.replace(/\W+/g, "-"));
    fs.mkdirSync(dir, { recursive: true });
    const files = synthesize(set.values).map((c) => {
      const file = path.join(dir, `${c.chart}.k8s.yaml`);
      fs.writeFileSync(file, c.objects.map((o) => stringify(o)).join("---\n"));
      return file;
    });
    expect(files.length).toBeGreaterThan(0);
    // All charts at once: kube-score relates objects (Service to Deployment, PDB, NetworkPolicy).
    const unexcused = kubeScore(files).filter((f) => {
      const entry = kubeScoreIgnores.find((i) => i.check === f.check && i.objects?.includes(f.object));
      if (entry) usedObjectExclusions.add(`${f.check} ${f.object}`);
      return !entry;
    });
    expect(unexcused.map((f) => `${f.object}: ${f.check}: ${f.summary}`)).toEqual([]);
  });

  test("every per-object exclusion is still needed", () => {
    // Runs after the per-value-set tests (same file, declaration order).
    const stale = kubeScoreIgnores.flatMap((i) => (i.objects ?? []).map((o) => `${i.check} ${o}`)).filter((k) => !usedObjectExclusions.has(k));
    expect(stale).toEqual([]);
  });

  test("reports a known-bad manifest", () => {
    const bad = writeTemp(
      "bad-deployment.yaml",
      stringify({
        apiVersion: "apps/v1",
        kind: "Deployment",
        metadata: { name: "bad", namespace: "x" },
        spec: {
          selector: { matchLabels: { app: "bad" } },
          template: { metadata: { labels: { app: "bad" } }, spec: { containers: [{ name: "c", image: "nginx:latest" }] } },
        },
      }),
    );
    const findings = kubeScore([bad]);
    expect(findings).toEqual(expect.arrayContaining([expect.objectContaining({ object: "Deployment x/bad", check: "container-image-tag" })]));
  });
});

// ---------------------------------------------------------------------------------------
describe("actionlint (GitHub workflows)", () => {
  const workflows = repoFiles(".github/workflows/*.yml", ".github/workflows/*.yaml");

  // Zero files is fine (issue 7 adds the workflows); each one present must be clean.
  test(`every workflow file has no findings (${workflows.length} files)`, () => {
    const findings = workflows
      .map((file) => ({ file, r: run(tool("ACTIONLINT"), ["-no-color", file]) }))
      .filter(({ r }) => r.code !== 0 || r.out !== "")
      .map(({ file, r }) => `${file} (exit ${r.code}):\n${r.out}`);
    expect(findings).toEqual([]);
  });

  test("reports a known-bad workflow", () => {
    const dir = path.join(work, "repo");
    fs.mkdirSync(path.join(dir, ".github", "workflows"), { recursive: true });
    const bad = path.join(dir, ".github", "workflows", "bad.yml");
    fs.writeFileSync(bad, "on: push\njobs:\n  test:\n    runs-on: ubuntu-latest\n    steps:\n      - run: echo ${{ github.event.pull_request.title }}\n      - uses: actions/checkout@v4\n        with:\n          fetch-depth: x\n        foo: bar\n");
    const r = run(tool("ACTIONLINT"), ["-no-color", bad], { cwd: dir });
    expect(r.code).not.toBe(0);
    expect(r.out).toMatch(/unexpected key "foo"/);
  });
});
