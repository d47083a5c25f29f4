/**
 * Every pin in the version files says where upstream shows it published
 * (`// evidence: <URL>` in the comment right above it), and renovate.json's custom
 * managers find every pin a bot may move, reading exactly the version pinned: the
 * managers' own regexes run here over the files, so a reformatted pin that Renovate
 * would silently stop updating fails this test.
 */
import * as fs from "node:fs";
import * as path from "node:path";
import { DEFAULT_GRAFANA_IMAGE } from "../../../charts/grafana/values";
import { ADDON_VERSIONS, AddonName } from "../../../infra/cluster/addons/versions";
import { CONTAINERD_PACKAGE_VERSION, KUBERNETES_VERSION } from "../../../infra/versions";

/** Image tags written as `v${minor}.0`: they move with KUBERNETES_VERSION, not by the image manager. */
const FOLLOW_KUBERNETES = new Set(["cloudControllerManager.controller", "clusterAutoscaler.autoscaler"]);

const REPO = path.resolve(__dirname, "..", "..", "..");
const VERSION_FILES = ["infra/versions.ts", "infra/cluster/addons/versions.ts"];

/** A line that pins something: an exported constant, or a `version:`/`tag:` field. */
const PIN_LINE = /^\s*(export const [A-Z_]+ = ["[]|version:|\w+: \{ repository: )/;
const EVIDENCE = /^\s*\/\/ evidence: https:\/\/\S+/;

/** `file:line: text` for every pin whose comment block directly above has no evidence note. */
export function pinsWithoutEvidence(file: string, text: string): string[] {
  const lines = text.split("\n");
  const problems: string[] = [];
  lines.forEach((line, i) => {
    if (!PIN_LINE.test(line)) return;
    const notes: string[] = [];
    for (let j = i - 1; j >= 0 && /^\s*\/\//.test(lines[j]); j--) if (EVIDENCE.test(lines[j])) notes.push(lines[j]);
    if (notes.length === 0) problems.push(`${file}:${i + 1}: ${line.trim()}`);
    // A note must be about the version pinned: a bump that leaves the old release's note fails here.
    const version = /(?:version|tag): "(v?\d+(?:\.\d+)+)"|= "(v?\d+(?:\.\d+)+)"/.exec(line);
    const v = version?.[1] ?? version?.[2];
    if (notes.length > 0 && v && !notes.some((n) => n.includes(v.replace(/^v/, "")))) problems.push(`${file}:${i + 1}: evidence does not name ${v}: ${line.trim()}`);
  });
  return problems;
}

interface CustomManager {
  readonly managerFilePatterns: string[];
  readonly matchStrings: string[];
  readonly datasourceTemplate?: string;
}
const renovate = JSON.parse(fs.readFileSync(path.join(REPO, "renovate.json"), "utf8")) as { customManagers: CustomManager[] };

/** What Renovate's regex managers extract from `file`: `depName@currentValue` (datasource). */
function extracted(file: string): string[] {
  const text = fs.readFileSync(path.join(REPO, file), "utf8");
  const out: string[] = [];
  for (const m of renovate.customManagers) {
    // Renovate writes these patterns as "/regex/".
    if (!m.managerFilePatterns.some((p) => new RegExp(p.slice(1, -1)).test(file))) continue;
    for (const s of m.matchStrings) {
      for (const match of text.matchAll(new RegExp(s, "g"))) {
        const g = match.groups ?? {};
        out.push(`${g.depName}@${g.currentValue} (${g.datasource ?? m.datasourceTemplate})`);
      }
    }
  }
  return out.sort();
}

describe("version pins", () => {
  it.each(VERSION_FILES)("%s: every pin has an evidence note", (file) => {
    const text = fs.readFileSync(path.join(REPO, file), "utf8");
    expect(text).toMatch(new RegExp(PIN_LINE.source, "m"));
    expect(pinsWithoutEvidence(file, text)).toEqual([]);
  });

  it("reports a pin without an evidence note, one whose note is not directly above it, and one whose note is about another version", () => {
    const text = [
      "// evidence: https://example.com/releases/tag/v1.0.0",
      'export const A_VERSION = "1.0.0";',
      'export const B_VERSION = "2.0.0";',
      "// evidence: https://example.com/releases/tag/v3.0.0",
      "",
      '    version: "3.0.0",',
      "      // evidence: see the changelog",
      '      x: { repository: "r", tag: "v1" },',
      "    // evidence: https://example.com/releases/tag/v4.0.0",
      '    version: "4.0.1",',
    ].join("\n");
    expect(pinsWithoutEvidence("f.ts", text)).toEqual([
      'f.ts:3: export const B_VERSION = "2.0.0";',
      'f.ts:6: version: "3.0.0",',
      'f.ts:8: x: { repository: "r", tag: "v1" },',
      'f.ts:10: evidence does not name 4.0.1: version: "4.0.1",',
    ]);
  });

  it("lets Renovate find every chart and literal image tag of the add-ons, at the pinned version", () => {
    const expected: string[] = [];
    for (const name of Object.keys(ADDON_VERSIONS) as AddonName[]) {
      const a = ADDON_VERSIONS[name];
      const oci = a.chart.startsWith("oci://");
      expected.push(`${oci ? a.chart.slice("oci://".length) : a.chart}@${a.version} (${oci ? "docker" : "helm"})`);
      for (const [role, image] of Object.entries(a.images)) {
        if (!FOLLOW_KUBERNETES.has(`${name}.${role}`)) expected.push(`${image.repository}@${image.tag} (docker)`);
      }
    }
    expect(extracted("infra/cluster/addons/versions.ts")).toEqual(expected.sort());
  });

  it("lets Renovate find the Kubernetes release and the containerd package", () => {
    expect(extracted("infra/versions.ts")).toEqual([`containerd@${CONTAINERD_PACKAGE_VERSION} (deb)`, `kubernetes/kubernetes@${KUBERNETES_VERSION} (github-releases)`]);
  });

  it("lets Renovate find the Session Manager plugin the workflows install, with its evidence note", () => {
    for (const wf of [".github/workflows/deploy.yml", ".github/workflows/pr.yml"]) {
      expect(extracted(wf)).toEqual([expect.stringMatching(/^aws\/session-manager-plugin@\d+\.\d+\.\d+\.\d+ \(github-releases\)$/)]);
      expect(fs.readFileSync(path.join(REPO, wf), "utf8")).toMatch(/# evidence: https:\/\/\S+[^\n]*\n\s*SSM_PLUGIN_VERSION: "/);
    }
  });

  it("lets Renovate find the chart image constants, except the placeholders it is told to skip", () => {
    const files = fs
      .readdirSync(path.join(REPO, "charts"), { withFileTypes: true })
      .filter((d) => d.isDirectory() && fs.existsSync(path.join(REPO, "charts", d.name, "values.ts")))
      .map((d) => `charts/${d.name}/values.ts`);
    const found = files.flatMap(extracted);
    const [grafana, grafanaTag] = DEFAULT_GRAFANA_IMAGE.split(":");
    expect(found).toContain(`${grafana}@${grafanaTag} (docker)`);
    expect(found.length).toBeGreaterThanOrEqual(10);
    for (const f of found) expect(f).toMatch(/^[a-z0-9][a-z0-9./-]*@[A-Za-z0-9][A-Za-z0-9._-]* \(docker\)$/);
  });
});
