/**
 * Every chart the platform synthesizes and deploys, in apply order. `npm run
 * synth` writes `dist/<id>.k8s.yaml` for each; Pulumi deploys each as one
 * ConfigGroup, with what the entry declares (charts/chart-entry.ts: Secrets,
 * stack values, URLs, AWS messaging), without naming any chart.
 *
 * Adding a chart: one entry below (its declarations in `charts/<app>/registration.ts`).
 * `create` must take plain data only (values, not Pulumi outputs) and construct
 * exactly one Chart in `app`.
 */
import type { ChartEntry } from "./chart-entry";
import { ClusterIssuersChart } from "./cluster-issuers/chart";
import { DaskChart } from "./dask/chart";
import { DASK_REGISTRATION } from "./dask/registration";
import { DASK_NAMESPACE } from "./dask/values";
import { DlstreamerChart } from "./dlstreamer/chart";
import { DLSTREAMER_REGISTRATION } from "./dlstreamer/registration";
import { DLSTREAMER_NAMESPACE } from "./dlstreamer/values";
import { FLUENTD_NAMES, FluentdChart } from "./fluentd/chart";
import { FLUENTD_REGISTRATION } from "./fluentd/registration";
import { FLUENTD_NAMESPACE } from "./fluentd/values";
import { GostyChart } from "./gosty/chart";
import { GOSTY_REGISTRATION } from "./gosty/registration";
import { GOSTY_NAMESPACE } from "./gosty/values";
import { GourmetgramChart } from "./gourmetgram/chart";
import { GOURMETGRAM_NAMESPACE } from "./gourmetgram/values";
import { GRAFANA_NAMES, GrafanaChart } from "./grafana/chart";
import { GRAFANA_REGISTRATION } from "./grafana/registration";
import { GRAFANA_NAMESPACE } from "./grafana/values";
import { ObjectDetectionChart } from "./object-detection/chart";
import { OBJECT_DETECTION_REGISTRATION, objectDetectionAwsConfig } from "./object-detection/registration";
import { OBJECT_DETECTION_NAMESPACE } from "./object-detection/values";
import { PrometheusChart } from "./prometheus/chart";
import { PROMETHEUS_NAMESPACE } from "./prometheus/values";
import type { PlatformValues } from "./values";

export type { ChartEntry, DeployContext } from "./chart-entry";

/** The registered charts the values select, in apply order. */
export function selectedCharts(values: PlatformValues, charts: readonly ChartEntry[] = CHARTS): ChartEntry[] {
  return charts.filter((c) => c.enabled?.(values) ?? true);
}

export const CHARTS: readonly ChartEntry[] = [
  {
    id: "cluster-issuers",
    namespace: undefined,
    deployByDefault: true,
    provides: ["clusterIssuers"],
    create: (app, values) => new ClusterIssuersChart(app, "cluster-issuers", { values }),
  },
  {
    id: "object-detection",
    namespace: OBJECT_DETECTION_NAMESPACE,
    ...OBJECT_DETECTION_REGISTRATION,
    create: (app, values, deploy) => new ObjectDetectionChart(app, "object-detection", { values, aws: deploy && objectDetectionAwsConfig(deploy) }),
  },
  {
    id: "prometheus",
    namespace: PROMETHEUS_NAMESPACE,
    deployByDefault: true,
    create: (app, values) => new PrometheusChart(app, "prometheus", { values }),
  },
  {
    id: "grafana",
    namespace: GRAFANA_NAMESPACE,
    ...GRAFANA_REGISTRATION,
    create: (app, values, deploy) => new GrafanaChart(app, "grafana", { values, awsRoleArn: deploy?.roleArns?.[GRAFANA_NAMES.server] }),
  },
  {
    id: "fluentd",
    namespace: FLUENTD_NAMESPACE,
    ...FLUENTD_REGISTRATION,
    create: (app, values, deploy) => new FluentdChart(app, "fluentd", { values, awsRoleArn: deploy?.roleArns?.[FLUENTD_NAMES.daemonSet] }),
  },
  {
    id: "gourmetgram",
    namespace: GOURMETGRAM_NAMESPACE,
    create: (app, values) => new GourmetgramChart(app, "gourmetgram", { values }),
  },
  {
    id: "dlstreamer",
    namespace: DLSTREAMER_NAMESPACE,
    ...DLSTREAMER_REGISTRATION,
    create: (app, values) => new DlstreamerChart(app, "dlstreamer", { global: values.global, dlstreamer: values.dlstreamer }),
  },
  {
    id: "dask",
    namespace: DASK_NAMESPACE,
    ...DASK_REGISTRATION,
    // Off by default: it needs the name of the notebook password Secret.
    enabled: (values) => values.dask.enabled,
    create: (app, values) => new DaskChart(app, "dask", { global: values.global, dask: values.dask }),
  },
  {
    id: "gosty",
    namespace: GOSTY_NAMESPACE,
    ...GOSTY_REGISTRATION,
    enabled: (values) => values.gosty.enabled,
    create: (app, values) => new GostyChart(app, "gosty", { global: values.global, gosty: values.gosty }),
  },
];
