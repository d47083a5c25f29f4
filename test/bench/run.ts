/**
 * `npm run bench`: prints figures, asserts nothing (tests never assert wall time).
 * `npm run bench -- <name>` runs one benchmark. BENCH_RUNS sets the repetitions.
 *
 * To add a benchmark: write `test/bench/<name>.ts` exporting `name` and
 * `run(): string[] | Promise<string[]>` (lines to print; see util.ts for
 * fresh-process measurement and medians) and add it to BENCHMARKS.
 */
import * as engine from "./engine";
import * as pulumiEval from "./pulumi-eval";
import * as synth from "./synth";

interface Benchmark {
  readonly name: string;
  run(): string[] | Promise<string[]>;
}

const BENCHMARKS: Benchmark[] = [pulumiEval, synth, engine];

async function main(): Promise<void> {
  const only = process.argv.slice(2);
  const selected = only.length ? BENCHMARKS.filter((b) => only.includes(b.name)) : BENCHMARKS;
  if (selected.length === 0) throw new Error(`no benchmark named ${only.join(", ")}; known: ${BENCHMARKS.map((b) => b.name).join(", ")}`);
  for (const b of selected) {
    console.log(`## ${b.name}`);
    for (const line of await b.run()) console.log(`  ${line}`);
  }
}

main().catch((e) => {
  console.error(e instanceof Error ? e.message : e);
  process.exit(1);
});
