/**
 * The manifests under test: every registered chart synthesized in-process (the same
 * code `npm run synth` runs) with the built-in default values and with every values
 * file checked in under `values/`. New charts and new values files are picked up
 * without changing the tests.
 */
import * as fs from "node:fs";
import * as path from "node:path";
import { parse as parseYaml } from "yaml";
import { synthCharts } from "../../charts/synth";
import { defaultValues, parseValues, PlatformValues } from "../../charts/values";
import { KubeObject } from "./kube-client";

const REPO = path.resolve(__dirname, "..", "..");

export interface ValueSet {
  /** `default values` or the values file's path relative to the repository. */
  readonly name: string;
  readonly values: PlatformValues;
}

export function valueSets(): ValueSet[] {
  const dir = path.join(REPO, "values");
  const files = fs.existsSync(dir) ? fs.readdirSync(dir).filter((f) => /\.ya?ml$/.test(f)).sort() : [];
  return [
    { name: "default values", values: defaultValues() },
    ...files.map((f) => {
      const rel = path.join("values", f);
      const doc = parseYaml(fs.readFileSync(path.join(REPO, rel), "utf8"), { uniqueKeys: true }) as unknown;
      return { name: rel, values: parseValues(doc, `values file ${rel}`) };
    }),
  ];
}

export interface ChartManifests {
  /** Chart id, the file stem of `dist/<id>.k8s.yaml`. */
  readonly chart: string;
  readonly objects: KubeObject[];
}

export function synthesize(values: PlatformValues): ChartManifests[] {
  return synthCharts(values).map((c) => ({ chart: c.id, objects: c.manifests as unknown as KubeObject[] }));
}
