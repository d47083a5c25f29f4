/**
 * Benchmark: evaluating the Pulumi program under mocks versus only loading
 * `@pulumi/pulumi` + `@pulumi/aws` under mocks. Goal: the program costs less than
 * twice the bare load, i.e. our own code adds less than the SDKs themselves.
 *
 * `run()` is called by run.ts; each measurement is a fresh child process running
 * this file with `baseline` or `program`, which prints the milliseconds from its
 * start (before any Pulumi module is loaded) to the end of the measured work.
 *
 * A third series shows what the SDK alone costs for the program's resource set:
 * one `record` run saves every resource the program registers (type, name, resolved
 * inputs); `sdk` runs declare exactly those resources with the SDK classes and no
 * program code (no config parsing, chart synthesis, policy or script rendering),
 * flat instead of parented, the teardown step with an empty dynamic provider.
 * program - sdk is what our own code adds.
 */
import type * as Pulumi from "@pulumi/pulumi";
import * as fs from "fs";
import * as os from "os";
import * as path from "path";
import { performance } from "perf_hooks";
import { measureInChild, median, ms, runs, transpiler } from "./util";

export const name = "pulumi-eval";

export function run(): string[] {
  const n = runs();
  const measure = (mode: string) => Array.from({ length: n }, () => measureInChild(__filename, [mode]));
  const baseline = measure("baseline");
  const program = measure("program");
  const dir = fs.mkdtempSync(path.join(os.tmpdir(), "bench-pulumi-"));
  const recorded = path.join(dir, "resources.json");
  let sdkOnly: number[];
  let count: number;
  try {
    count = measureInChild(__filename, ["record", recorded]);
    sdkOnly = Array.from({ length: n }, () => measureInChild(__filename, ["sdk", recorded]));
  } finally {
    fs.rmSync(dir, { recursive: true, force: true });
  }
  const b = median(baseline);
  const p = median(program);
  const s = median(sdkOnly);
  const ratio = p / b;
  const series = (values: number[]) => values.map((v) => v.toFixed(0)).join(", ");
  return [
    `${n} fresh processes each, TypeScript transpiled by ${transpiler()} (BENCH_TRANSPILER=swc|typescript); load average ${os.loadavg()[0].toFixed(1)} on ${os.cpus().length} cores`,
    `load @pulumi/pulumi + @pulumi/aws under mocks: median ${ms(b)} (runs: ${series(baseline)})`,
    `evaluate infra/index.ts under mocks (all resources registered): median ${ms(p)} (runs: ${series(program)})`,
    `declare the same ${count} resources with the SDK classes alone, no program code: median ${ms(s)} (runs: ${series(sdkOnly)})`,
    `ratio sdk-only / load: ${(s / b).toFixed(2)}x (the SDK's own cost for this resource set); program - sdk-only: ${ms(p - s)}`,
    `ratio program / load: ${ratio.toFixed(2)}x (goal < 2x: ${ratio < 2 ? "met" : "NOT met"})`,
  ];
}

interface RecordedDeclaration {
  readonly type: string;
  readonly name: string;
  readonly custom: boolean;
  readonly inputs: Record<string, unknown>;
}

type SdkClass = new (name: string, args: Record<string, unknown>) => unknown;

/** The SDK class of a type token, e.g. `aws:ec2/instance:Instance` -> aws.ec2.Instance. */
function sdkClass(type: string): SdkClass {
  const [pkg, mod, kind] = type.split(":");
  const packages: Record<string, string> = { aws: "@pulumi/aws", kubernetes: "@pulumi/kubernetes", tls: "@pulumi/tls", random: "@pulumi/random" };
  if (pkg === "pulumi" && mod === "providers") return (require(packages[kind]) as { Provider: SdkClass }).Provider; // eslint-disable-line @typescript-eslint/no-require-imports
  // aws:ec2/instance -> ["ec2"]; kubernetes:storage.k8s.io/v1 -> ["storage", "v1"]; tls:index/x -> [].
  const [group, version] = mod.split("/");
  const keys = pkg === "kubernetes" ? [group.split(".")[0], version] : group === "index" ? [] : [group];
  let ns = require(packages[pkg]) as Record<string, unknown>; // eslint-disable-line @typescript-eslint/no-require-imports
  for (const k of keys) ns = ns[k] as Record<string, unknown>;
  const ctor = ns?.[kind];
  if (typeof ctor !== "function") throw new Error(`no SDK class for ${type}`);
  return ctor as SdkClass;
}

/** Declares `r` with its SDK class; inputs unknown when recorded (mocked computed ids) get a placeholder. */
function declare(pulumi: typeof Pulumi, r: RecordedDeclaration): void {
  if (r.type.startsWith("pulumi-nodejs:dynamic/")) {
    const { __provider, ...inputs } = r.inputs;
    const empty: Pulumi.dynamic.ResourceProvider = { create: async (i) => ({ id: "sdk-only", outs: i }) };
    const Dynamic = class extends pulumi.dynamic.Resource {};
    new Dynamic(empty, r.name, inputs, {}, "sdk-only", "Resource");
  } else if (!r.custom && r.type.startsWith("platform:")) {
    new pulumi.ComponentResource(r.type, r.name, {});
  } else {
    const Ctor = sdkClass(r.type);
    const inputs = { ...r.inputs };
    for (;;) {
      try {
        new Ctor(r.name, inputs);
        return;
      } catch (e) {
        const missing = /Missing required property '([^']+)'/.exec(e instanceof Error ? e.message : "");
        if (!missing) throw e;
        inputs[missing[1]] = "sdk-only-placeholder";
      }
    }
  }
}

async function child(mode: string, file: string): Promise<void> {
  const start = performance.now();
  // The shared unit-test harness: same mocks as the tests, answers the data sources.
  const { installPulumiMocks, validStackConfig } = await import("../unit/support/pulumi-mocks");
  const harness = installPulumiMocks({ config: validStackConfig() });
  if (mode === "baseline") {
    await import("@pulumi/aws");
  } else if (mode === "program") {
    await import("../../infra/index");
    await harness.settle();
    if (harness.ofType("aws:ec2/instance:Instance").length === 0) throw new Error("the program registered no control-plane instance");
  } else if (mode === "record") {
    await import("../../infra/index");
    await harness.settle();
    const declarations: RecordedDeclaration[] = harness.resources.map(({ type, name, custom, inputs }) => ({ type, name, custom, inputs }));
    fs.writeFileSync(file, JSON.stringify(declarations));
    // The count, not a time: run() prints it.
    console.log(String(declarations.length));
    return;
  } else if (mode === "sdk") {
    const pulumi = await import("@pulumi/pulumi");
    const declarations = JSON.parse(fs.readFileSync(file, "utf8")) as RecordedDeclaration[];
    for (const r of declarations) declare(pulumi, r);
    await harness.settle();
    if (harness.resources.length !== declarations.length) throw new Error(`sdk-only registered ${harness.resources.length} of ${declarations.length} resources`);
  } else {
    throw new Error(`unknown mode ${mode}; expected baseline, program, record or sdk`);
  }
  console.log(String(performance.now() - start));
}

if (require.main === module) {
  child(process.argv[2] ?? "", process.argv[3] ?? "").catch((e) => {
    console.error(e);
    process.exit(1);
  });
}
