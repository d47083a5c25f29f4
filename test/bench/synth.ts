/**
 * Benchmark: `npm run synth` work versus only loading cdk8s + cdk8s-plus-28.
 * Goals: every registered chart with default values under 3x the bare load
 * (also reported for the object-detection chart alone); a chart of 50
 * microservices under 10x.
 *
 * Each measurement is a fresh child process running this file with `baseline`,
 * `default`, `objectDetection` or `services50`, compiled the way `npm run synth` compiles the
 * charts (charts/swc-register.js); it prints the milliseconds from its start
 * (before cdk8s is loaded) to the end of the measured work (YAML text in memory).
 */
import { spawnSync } from "child_process";
import * as os from "os";
import * as path from "path";
import { performance } from "perf_hooks";
import { median, ms, REPO_ROOT, runs } from "./util";

export const name = "synth";

const SERVICES = 50;

export function run(): string[] {
  const n = runs();
  const measure = (mode: string) => Array.from({ length: n }, () => measureWithSynthRunner(mode));
  const series: [string, number[]][] = [
    ["load cdk8s + cdk8s-plus-28", measure("baseline")],
    ["synth every registered chart (default values)", measure("default")],
    ["synth the object-detection chart alone (default values)", measure("objectDetection")],
    [`synth a chart of ${SERVICES} microservices`, measure("services50")],
  ];
  const floor = median(series[0][1]);
  const lines = [`${n} fresh processes each; load average ${os.loadavg()[0].toFixed(1)} on ${os.cpus().length} cores`];
  lines.push(...series.map(([label, values]) => `${label}: median ${ms(median(values))} (runs: ${values.map((v) => v.toFixed(0)).join(", ")})`));
  const goal = (label: string, values: number[], limit: number) => {
    const ratio = median(values) / floor;
    return `ratio ${label} / load: ${ratio.toFixed(2)}x (goal < ${limit}x: ${ratio < limit ? "met" : "NOT met"})`;
  };
  lines.push(
    goal("every default chart", series[1][1], 3),
    goal("object-detection chart", series[2][1], 3),
    goal(`${SERVICES} microservices`, series[3][1], 10),
  );
  return lines;
}

function measureWithSynthRunner(mode: string): number {
  const result = spawnSync(process.execPath, ["-r", path.join(REPO_ROOT, "charts/swc-register.js"), __filename, mode], {
    cwd: REPO_ROOT,
    encoding: "utf8",
    maxBuffer: 64 * 1024 * 1024,
  });
  if (result.status !== 0) throw new Error(`synth benchmark ${mode} failed (${result.status}):\n${result.stderr}${result.stdout}`);
  const value = Number(result.stdout.trim().split("\n").pop());
  if (!Number.isFinite(value)) throw new Error(`synth benchmark ${mode} printed no measurement:\n${result.stdout}`);
  return value;
}

async function child(mode: string): Promise<void> {
  const start = performance.now();
  if (mode === "baseline") {
    await import("cdk8s");
    await import("cdk8s-plus-28");
  } else if (mode === "default") {
    const { synthCharts } = await import("../../charts/synth");
    const { defaultValues } = await import("../../charts/values");
    const charts = synthCharts(defaultValues());
    if (charts.some((c) => c.yaml.length === 0)) throw new Error("a chart synthesized to nothing");
  } else if (mode === "objectDetection") {
    const { synthCharts } = await import("../../charts/synth");
    const { CHARTS } = await import("../../charts/registry");
    const { defaultValues } = await import("../../charts/values");
    const [chart] = synthCharts(defaultValues(), CHARTS.filter((c) => c.id === "object-detection"));
    if (!chart.yaml.includes("kind: HorizontalPodAutoscaler")) throw new Error("object-detection synthesized without its HPA");
  } else if (mode === "services50") {
    const { App, Chart, Yaml } = await import("cdk8s");
    const { Microservice } = await import("../../constructs/microservice");
    const app = new App();
    const chart = new Chart(app, "bench");
    for (let i = 0; i < SERVICES; i++) {
      new Microservice(chart, `Svc${i}`, {
        name: `svc-${i}`,
        namespace: "bench",
        image: `registry.example.com/bench/svc-${i}:1.0.0`,
        callers: [],
        // Alternate the two shapes: fixed replicas (with PDB) and autoscaled.
        ...(i % 2 === 0 ? { replicas: 2 } : { autoscaling: { maxReplicas: 4 } }),
        metrics: {},
        envFromConfigMaps: ["shared"],
        envFromSecrets: { TOKEN: { secretName: `svc-${i}`, key: "token" } },
      });
    }
    const yaml = Yaml.stringify(...chart.toJson());
    if (!yaml.includes("svc-49")) throw new Error("the last service is missing from the output");
  } else {
    throw new Error(`unknown mode ${mode}; expected baseline, default, objectDetection or services50`);
  }
  console.log(String(performance.now() - start));
}

if (require.main === module) {
  child(process.argv[2] ?? "").catch((e) => {
    console.error(e);
    process.exit(1);
  });
}
