/**
 * `npm run synth [-- --values <file.yaml>] [-- --out <dir>]`
 *
 * Validates the values (file from `--values` or `$VALUES_FILE`, else built-in
 * defaults), synthesizes every chart in memory and only then writes
 * `<out>/<chart-id>.k8s.yaml` (default `dist/`). On any error it prints the
 * problems, exits non-zero and writes nothing. Offline: no AWS, no cluster.
 */
import * as fs from "node:fs";
import * as path from "node:path";
import { parse as parseYaml } from "yaml";
import { synthCharts } from "./synth";
import { defaultValues, parseValues, PlatformValues } from "./values";

interface Args {
  valuesFile?: string;
  outDir: string;
}

function parseArgs(argv: readonly string[], env: NodeJS.ProcessEnv): Args {
  let valuesFile = env.VALUES_FILE || undefined;
  let outDir = "dist";
  for (let i = 0; i < argv.length; i++) {
    const arg = argv[i];
    const [flag, inline] = arg.includes("=") ? [arg.slice(0, arg.indexOf("=")), arg.slice(arg.indexOf("=") + 1)] : [arg, undefined];
    const value = () => {
      const v = inline ?? argv[++i];
      if (v === undefined || v === "") throw new Error(`${flag} needs a value`);
      return v;
    };
    if (flag === "--values" || flag === "-f") valuesFile = value();
    else if (flag === "--out") outDir = value();
    else throw new Error(`unknown argument ${JSON.stringify(arg)}; usage: npm run synth -- [--values <file.yaml>] [--out <dir>]`);
  }
  return { valuesFile, outDir };
}

function loadValues(file: string | undefined): PlatformValues {
  if (file === undefined) return defaultValues();
  let text: string;
  try {
    text = fs.readFileSync(file, "utf8");
  } catch (e) {
    throw new Error(`cannot read values file ${file}: ${(e as Error).message}`);
  }
  let doc: unknown;
  try {
    // Duplicate keys are an error: the second would silently win otherwise.
    doc = parseYaml(text, { uniqueKeys: true, prettyErrors: true });
  } catch (e) {
    throw new Error(`values file ${file} is not valid YAML: ${(e as Error).message}`);
  }
  return parseValues(doc, `values file ${file}`);
}

/**
 * A chart that the values no longer select must not leave its old manifest
 * behind: `kubectl apply -f dist/` would resurrect it.
 */
function removeStaleManifests(outDir: string, current: ReadonlySet<string>): void {
  for (const name of fs.readdirSync(outDir)) {
    if (name.endsWith(".k8s.yaml") && !current.has(name)) {
      fs.rmSync(path.join(outDir, name));
      console.log(`removed ${path.join(outDir, name)} (chart not selected)`);
    }
  }
}

export function main(argv: readonly string[], env: NodeJS.ProcessEnv = process.env): number {
  try {
    const args = parseArgs(argv, env);
    const values = loadValues(args.valuesFile);
    const charts = synthCharts(values);
    fs.mkdirSync(args.outDir, { recursive: true });
    removeStaleManifests(args.outDir, new Set(charts.map((c) => `${c.id}.k8s.yaml`)));
    for (const c of charts) {
      const file = path.join(args.outDir, `${c.id}.k8s.yaml`);
      fs.writeFileSync(file, c.yaml);
      console.log(`wrote ${file} (${c.manifests.length} objects)`);
    }
    return 0;
  } catch (e) {
    console.error(`npm run synth failed; nothing was written.\n${(e as Error).message}`);
    return 1;
  }
}

if (require.main === module) {
  process.exitCode = main(process.argv.slice(2));
}
