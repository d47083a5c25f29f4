/**
 * Synthesis to YAML text in memory, shared by `npm run synth` (charts/main.ts),
 * the tests and the benchmark. Nothing here touches the filesystem.
 */
import { App, Yaml } from "cdk8s";
import { ChartEntry, DeployContext, selectedCharts } from "./registry";
import { PlatformValues } from "./values";

export interface SynthesizedChart {
  readonly id: string;
  /** The chart's objects, as they will be applied. */
  readonly manifests: Record<string, unknown>[];
  /** Multi-document YAML of {@link manifests}, rendered on first read. */
  readonly yaml: string;
}

/**
 * Constructs and synthesizes `charts` (default: every registered chart the
 * values select, see `ChartEntry.enabled`), with
 * the deployment's `deploy` context when Pulumi calls it.
 * Throws on invalid props or a failed cdk8s validation before returning anything.
 */
export function synthCharts(
  values: PlatformValues,
  charts: readonly ChartEntry[] = selectedCharts(values),
  deploy?: DeployContext,
): SynthesizedChart[] {
  // One App per chart: cdk8s resolves dependencies and validates the whole App
  // for every chart it serializes, which is quadratic with a shared App. The
  // charts share no constructs, so nothing is lost.
  return charts.map((entry) => {
    const chart = entry.create(new App({ outdir: "dist" }), values, deploy);
    const manifests = chart.toJson() as Record<string, unknown>[];
    let yaml: string | undefined;
    return {
      id: entry.id,
      manifests,
      // Rendering YAML costs as much as building the chart; the Pulumi program
      // deploys `manifests` and never reads the text.
      get yaml() {
        return (yaml ??= Yaml.stringify(...manifests));
      },
    };
  });
}
