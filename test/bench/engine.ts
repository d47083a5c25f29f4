/**
 * Benchmark: the real Pulumi engine (CLI 3.248.0 and the Kubernetes provider built by
 * test/tools/build-tools.sh) running the engine test's program through the Automation
 * API against kube-apiserver + etcd + kube-controller-manager on loopback: `up` from an
 * empty stack, then a no-op `up`, then `destroy` (timed too, as it waits for namespace
 * finalization). One cluster for all runs; each run uses a fresh stack. The wall time
 * includes starting the CLI and the provider processes, as every `pulumi up` does.
 *
 * Needs the tools cache: it runs build-tools.sh first, which builds what is missing
 * (see README, "How long", for a cold build).
 */
import * as fs from "fs";
import * as os from "os";
import * as path from "path";
import { performance } from "perf_hooks";
import { exportBuiltTools } from "../tools/global-setup";
import { DEMO_RESOURCES, PulumiEngine, TestCluster, changes, demoProgram } from "../tools/pulumi-engine";
import { median, ms, runs } from "./util";

export const name = "engine";

export async function run(): Promise<string[]> {
  exportBuiltTools();
  const n = runs();
  const cluster = await TestCluster.start();
  const engine = await PulumiEngine.create();
  const markers = fs.mkdtempSync(path.join(os.tmpdir(), "engine-bench-"));
  const series = { up: [] as number[], noop: [] as number[], destroy: [] as number[] };
  try {
    for (let i = 0; i < n; i++) {
      const stack = await engine.stack(
        `bench-${i}`,
        demoProgram({ kubeconfig: () => cluster.api.kubeconfig(), values: () => ({ greeting: "bench", replicas: 1 }), markerFile: () => path.join(markers, `${i}`) }),
      );
      let t = performance.now();
      const up = await stack.up();
      series.up.push(performance.now() - t);
      t = performance.now();
      const noop = await stack.up();
      series.noop.push(performance.now() - t);
      // A figure for a run that did not do what it claims would mislead.
      if (Object.keys(changes(noop.summary.resourceChanges)).length > 0 || up.summary.result !== "succeeded") {
        throw new Error(`run ${i}: up ${JSON.stringify(up.summary.resourceChanges)}, no-op up ${JSON.stringify(noop.summary.resourceChanges)}`);
      }
      t = performance.now();
      await stack.destroy();
      series.destroy.push(performance.now() - t);
      await stack.workspace.removeStack(stack.name);
    }
    const v = engine.versions();
    const line = (label: string, values: number[]) =>
      `${label}: median ${ms(median(values))} (runs: ${values.map((x) => x.toFixed(0)).join(", ")})`;
    return [
      `${n} runs; load average ${os.loadavg()[0].toFixed(1)} on ${os.cpus().length} cores`,
      `CLI ${v.cli} (npm @pulumi/pulumi ${v.npmPulumi}); Kubernetes provider ${v.provider} (npm @pulumi/kubernetes ${v.npmKubernetes})`,
      line(`up from an empty stack (${DEMO_RESOURCES} resources)`, series.up),
      line("no-op up", series.noop),
      line("destroy (waits for namespace finalization)", series.destroy),
    ];
  } finally {
    await engine.remove();
    await cluster.stop();
    fs.rmSync(markers, { recursive: true, force: true });
  }
}
