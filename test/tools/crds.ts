/**
 * The CustomResourceDefinitions the charts' custom resources need, from pinned
 * upstream sources, so the API server judges those resources by their real schemas:
 *
 * - cert-manager: `deploy/crds/*.yaml` of the cert-manager Go module at
 *   {@link CERT_MANAGER_VERSION} (the add-on's pin in infra/cluster/addons/versions.ts),
 *   fetched through the Go module proxy (checksum verified by the Go tool; cached in
 *   the Go module cache after the first run).
 * - CRD files checked into the repository next to generated imports
 *   (`charts/**\/imports/*.yaml`, `constructs/**\/imports/*.yaml`), e.g. the Chaos Mesh
 *   CRDs the gosty chart's typed imports were generated from. New ones are picked up
 *   without changing this file.
 */
import { execFileSync } from "node:child_process";
import * as fs from "node:fs";
import * as path from "node:path";
import { parseAllDocuments } from "yaml";
import { ADDON_VERSIONS } from "../../infra/cluster/addons/versions";
import { KubeObject } from "./kube-client";

/** cert-manager release whose CRDs the tests install: the one the platform's add-on installs. */
export const CERT_MANAGER_VERSION = ADDON_VERSIONS.certManager.version;

const REPO = path.resolve(__dirname, "..", "..");

/** Every document of a multi-document YAML file that is an object. */
export function readYamlObjects(file: string): KubeObject[] {
  const docs = parseAllDocuments(fs.readFileSync(file, "utf8"));
  const out: KubeObject[] = [];
  for (const doc of docs) {
    if (doc.errors.length > 0) throw new Error(`${file}: ${doc.errors[0].message}`);
    const value = doc.toJSON() as unknown;
    if (value && typeof value === "object") out.push(value as KubeObject);
  }
  return out;
}

/** Directory of a Go module version in the module cache, downloading it if needed. */
export function goModuleDir(module: string, version: string): string {
  const out = execFileSync("go", ["mod", "download", "-json", `${module}@${version}`], {
    encoding: "utf8",
    cwd: path.join(REPO, "test", "tools", "go"),
    env: { ...process.env, GOFLAGS: "-mod=mod" },
  });
  const info = JSON.parse(out) as { Dir?: string; Error?: string };
  if (!info.Dir) throw new Error(`go mod download ${module}@${version}: ${info.Error ?? out}`);
  return info.Dir;
}

export interface CrdSource {
  /** Where the CRDs came from, named in failures. */
  readonly source: string;
  readonly crds: KubeObject[];
}

export function certManagerCrds(): CrdSource {
  const dir = path.join(goModuleDir("github.com/cert-manager/cert-manager", CERT_MANAGER_VERSION), "deploy", "crds");
  const crds = fs
    .readdirSync(dir)
    .filter((f) => f.endsWith(".yaml"))
    .sort()
    .flatMap((f) => readYamlObjects(path.join(dir, f)));
  return { source: `cert-manager ${CERT_MANAGER_VERSION} (deploy/crds)`, crds };
}

function findFiles(dir: string, match: (rel: string) => boolean, rel = ""): string[] {
  if (!fs.existsSync(dir)) return [];
  const out: string[] = [];
  for (const entry of fs.readdirSync(dir, { withFileTypes: true })) {
    if (entry.name === "node_modules" || entry.name.startsWith(".")) continue;
    const r = path.join(rel, entry.name);
    if (entry.isDirectory()) out.push(...findFiles(path.join(dir, entry.name), match, r));
    else if (match(r)) out.push(r);
  }
  return out.sort();
}

/** CRD files checked in under `charts/` and `constructs/` `imports/` folders. */
export function repositoryCrds(): CrdSource[] {
  const sources: CrdSource[] = [];
  for (const top of ["charts", "constructs"]) {
    for (const rel of findFiles(path.join(REPO, top), (r) => /(^|\/)imports\/[^/]+\.ya?ml$/.test(r))) {
      const file = path.join(top, rel);
      const crds = readYamlObjects(path.join(REPO, file)).filter((o) => o.kind === "CustomResourceDefinition");
      if (crds.length > 0) sources.push({ source: file, crds });
    }
  }
  return sources;
}

/** All CRDs the charts may use, de-duplicated by name (first source wins). */
export function allCrds(): CrdSource[] {
  const seen = new Set<string>();
  return [certManagerCrds(), ...repositoryCrds()].map(({ source, crds }) => ({
    source,
    crds: crds.filter((c) => {
      const name = c.metadata.name ?? "";
      if (seen.has(name)) return false;
      seen.add(name);
      return true;
    }),
  }));
}
