/**
 * Benchmark: evaluating the Pulumi program under mocks versus only loading
 * `@pulumi/pulumi` + `@pulumi/aws` under mocks. Goal: the program costs less than
 * twice the bare load, i.e. our own code adds less than the SDKs themselves.
 *
 * `run()` is called by run.ts; each measurement is a fresh child process running
 * this file with `baseline` or `program`, which prints the milliseconds from its
 * start (before any Pulumi module is loaded) to the end of the measured work.
 */
import { performance } from "perf_hooks";
import { measureInChild, median, ms, runs, transpiler } from "./util";

export const name = "pulumi-eval";

export function run(): string[] {
  const n = runs();
  const measure = (mode: string) => Array.from({ length: n }, () => measureInChild(__filename, [mode]));
  const baseline = measure("baseline");
  const program = measure("program");
  const b = median(baseline);
  const p = median(program);
  const ratio = p / b;
  return [
    `${n} fresh processes each, TypeScript transpiled by ${transpiler()} (BENCH_TRANSPILER=swc|typescript)`,
    `load @pulumi/pulumi + @pulumi/aws under mocks: median ${ms(b)} (runs: ${baseline.map((v) => v.toFixed(0)).join(", ")})`,
    `evaluate infra/index.ts under mocks (all resources registered): median ${ms(p)} (runs: ${program.map((v) => v.toFixed(0)).join(", ")})`,
    `ratio program / load: ${ratio.toFixed(2)}x (goal < 2x: ${ratio < 2 ? "met" : "NOT met"})`,
  ];
}

async function child(mode: string): Promise<void> {
  const start = performance.now();
  // The shared unit-test harness: same mocks as the tests, answers the data sources.
  const { installPulumiMocks, validStackConfig } = await import("../unit/pulumi-mocks");
  const harness = installPulumiMocks({ config: validStackConfig() });
  if (mode === "baseline") {
    await import("@pulumi/aws");
  } else if (mode === "program") {
    await import("../../infra/index");
    await harness.settle();
    if (harness.ofType("aws:ec2/instance:Instance").length === 0) throw new Error("the program registered no control-plane instance");
  } else {
    throw new Error(`unknown mode ${mode}; expected baseline or program`);
  }
  console.log(String(performance.now() - start));
}

if (require.main === module) {
  child(process.argv[2] ?? "").catch((e) => {
    console.error(e);
    process.exit(1);
  });
}
