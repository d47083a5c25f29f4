/** Helpers for benchmarks: run a measurement in fresh Node processes and summarise it. */
import { spawnSync } from "child_process";
import * as path from "path";

export const REPO_ROOT = path.resolve(__dirname, "..", "..");

/**
 * Runs `script` (a TypeScript file, transpiled by ts-node) in a fresh Node process
 * and returns the number it prints on its last stdout line. Fresh processes keep
 * module caches from flattering later runs.
 */
export function measureInChild(script: string, args: readonly string[] = [], env: NodeJS.ProcessEnv = {}): number {
  const tsNode = [require.resolve("ts-node/dist/bin"), "--transpile-only", ...(transpiler() === "swc" ? ["--swc"] : [])];
  const result = spawnSync(process.execPath, [...tsNode, script, ...args], {
    cwd: REPO_ROOT,
    env: { ...process.env, ...env },
    encoding: "utf8",
    maxBuffer: 64 * 1024 * 1024,
  });
  if (result.status !== 0) {
    throw new Error(`${path.relative(REPO_ROOT, script)} ${args.join(" ")} failed (${result.status}):\n${result.stderr}${result.stdout}`);
  }
  const last = result.stdout.trim().split("\n").pop() ?? "";
  const value = Number(last);
  if (!Number.isFinite(value)) throw new Error(`${script} printed no measurement; last line: ${last}`);
  return value;
}

/**
 * Which transpiler ts-node uses in the children: BENCH_TRANSPILER=swc (default,
 * the same SWC the tests use) or typescript (ts-node's default, several times
 * slower to compile the program's own files).
 */
export function transpiler(): "swc" | "typescript" {
  return process.env.BENCH_TRANSPILER === "typescript" ? "typescript" : "swc";
}

export function median(values: readonly number[]): number {
  const sorted = [...values].sort((a, b) => a - b);
  const mid = Math.floor(sorted.length / 2);
  return sorted.length % 2 === 1 ? sorted[mid] : (sorted[mid - 1] + sorted[mid]) / 2;
}

/** Number of repetitions per measurement: BENCH_RUNS, default 5. */
export function runs(): number {
  const n = Number(process.env.BENCH_RUNS ?? "5");
  return Number.isInteger(n) && n > 0 ? n : 5;
}

export function ms(value: number): string {
  return `${value.toFixed(0)} ms`;
}
