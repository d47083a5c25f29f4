/**
 * Every chart the platform synthesizes and deploys, in apply order. `npm run
 * synth` writes `dist/<id>.k8s.yaml` for each; Pulumi deploys each as one
 * ConfigGroup.
 *
 * Adding a chart: one entry below. `create` must take plain data only (values,
 * not Pulumi outputs) and construct exactly one Chart in `app`.
 */
import { App, Chart } from "cdk8s";
import { ClusterIssuersChart } from "./cluster-issuers/chart";
import { DaskChart } from "./dask/chart";
import { DASK_NAMESPACE } from "./dask/values";
import { DlstreamerChart } from "./dlstreamer/chart";
import { DLSTREAMER_NAMESPACE } from "./dlstreamer/values";
import { FluentdChart } from "./fluentd/chart";
import { FLUENTD_NAMESPACE } from "./fluentd/values";
import { GostyChart } from "./gosty/chart";
import { GOSTY_NAMESPACE } from "./gosty/values";
import { GourmetgramChart } from "./gourmetgram/chart";
import { GOURMETGRAM_NAMESPACE } from "./gourmetgram/values";
import { GrafanaChart } from "./grafana/chart";
import { GRAFANA_NAMESPACE } from "./grafana/values";
import type { ObjectDetectionAwsConfig } from "./object-detection/aws-config";
import { ObjectDetectionChart } from "./object-detection/chart";
import { OBJECT_DETECTION_NAMESPACE } from "./object-detection/values";
import { PrometheusChart } from "./prometheus/chart";
import { PROMETHEUS_NAMESPACE } from "./prometheus/values";
import type { PlatformValues } from "./values";

export interface ChartEntry {
  /** File stem in `dist/` and construct id; lower-case, '-' separated. */
  readonly id: string;
  /** Namespace the chart's namespaced objects live in; undefined when it has only cluster-scoped objects. */
  readonly namespace: string | undefined;
  readonly create: (app: App, values: PlatformValues, deploy?: DeployContext) => Chart;
  /**
   * Whether the values select this chart; a chart that is not selected is
   * neither synthesized nor deployed.
   * @default - always selected
   */
  readonly enabled?: (values: PlatformValues) => boolean;
}

/** The registered charts the values select, in apply order. */
export function selectedCharts(values: PlatformValues, charts: readonly ChartEntry[] = CHARTS): ChartEntry[] {
  return charts.filter((c) => c.enabled?.(values) ?? true);
}

/**
 * What only a deployment knows (values Pulumi created), as plain data. Absent
 * for `npm run synth`, where charts write clearly named placeholders instead.
 * Pulumi resolves its outputs first, then synthesizes with this context.
 */
export interface DeployContext {
  /** Queue URLs, topic ARN and region of the object-detection application. */
  readonly objectDetectionAws?: ObjectDetectionAwsConfig;
}

export const CHARTS: readonly ChartEntry[] = [
  {
    id: "cluster-issuers",
    namespace: undefined,
    create: (app, values) => new ClusterIssuersChart(app, "cluster-issuers", { values }),
  },
  {
    id: "object-detection",
    namespace: OBJECT_DETECTION_NAMESPACE,
    create: (app, values, deploy) => new ObjectDetectionChart(app, "object-detection", { values, aws: deploy?.objectDetectionAws }),
  },
  {
    id: "prometheus",
    namespace: PROMETHEUS_NAMESPACE,
    create: (app, values) => new PrometheusChart(app, "prometheus", { values }),
  },
  {
    id: "grafana",
    namespace: GRAFANA_NAMESPACE,
    create: (app, values) => new GrafanaChart(app, "grafana", { values }),
  },
  {
    id: "fluentd",
    namespace: FLUENTD_NAMESPACE,
    create: (app, values) => new FluentdChart(app, "fluentd", { values }),
  },
  {
    id: "gourmetgram",
    namespace: GOURMETGRAM_NAMESPACE,
    create: (app, values) => new GourmetgramChart(app, "gourmetgram", { values }),
  },
  {
    id: "dlstreamer",
    namespace: DLSTREAMER_NAMESPACE,
    create: (app, values) => new DlstreamerChart(app, "dlstreamer", { global: values.global, dlstreamer: values.dlstreamer }),
  },
  {
    id: "dask",
    namespace: DASK_NAMESPACE,
    // Off by default: it needs the name of the notebook password Secret.
    enabled: (values) => values.dask.enabled,
    create: (app, values) => new DaskChart(app, "dask", { global: values.global, dask: values.dask }),
  },
  {
    id: "gosty",
    namespace: GOSTY_NAMESPACE,
    enabled: (values) => values.gosty.enabled,
    create: (app, values) => new GostyChart(app, "gosty", { global: values.global, gosty: values.gosty }),
  },
];
