/**
 * Every metric a dashboard or an alert uses must be exported by something the
 * platform runs: a scrape job the Prometheus config defines (per the catalogue
 * of what each job's exporter exports), or a CloudWatch metric AWS publishes.
 * The expressions are parsed with the official PromQL grammar, not matched with
 * regular expressions.
 */
import { Testing } from "cdk8s";
import { parse } from "yaml";
import { Dashboard, PrometheusTarget, CloudWatchTarget } from "../../../charts/grafana/dashboards/builder";
import { GrafanaChart } from "../../../charts/grafana/chart";
import { CLOUDWATCH_DIMENSIONS, CLOUDWATCH_METRICS } from "../../../charts/grafana/cloudwatch-metrics";
import { availableMetrics, METRICS_BY_JOB } from "../../../charts/prometheus/metric-catalogue";
import { PrometheusChart } from "../../../charts/prometheus/chart";
import { JOB, jobNames, prometheusConfig } from "../../../charts/prometheus/scrape-config";
import { defaultValues, parseValues } from "../../../charts/values";
import { labelValuesSelector, parsePromQL } from "./promql";

type Obj = Record<string, any>; // eslint-disable-line @typescript-eslint/no-explicit-any

interface Query {
  readonly where: string;
  readonly expr: string;
}

/** Every PromQL expression of a dashboard: panel targets and `label_values` variables. */
function promQueries(file: string, d: Dashboard): Query[] {
  const out: Query[] = [];
  for (const p of d.panels) {
    for (const t of p.targets) {
      if (t.datasource.type === "prometheus") out.push({ where: `${file} / ${p.title} / ${t.refId}`, expr: (t as PrometheusTarget).expr });
    }
  }
  for (const v of d.templating.list) {
    const ds = v.datasource as { type?: string } | undefined;
    if (v.type === "query" && ds?.type === "prometheus") {
      const q = (v.query as { query: string }).query;
      const selector = labelValuesSelector(q);
      if (selector === undefined) throw new Error(`${file}: variable ${v.name}: cannot read ${q}`);
      out.push({ where: `${file} / variable ${v.name}`, expr: selector });
    }
  }
  return out;
}

function cloudWatchTargets(file: string, d: Dashboard): { where: string; t: CloudWatchTarget }[] {
  return d.panels.flatMap((p) =>
    p.targets
      .filter((t) => t.datasource.type === "cloudwatch")
      .map((t) => ({ where: `${file} / ${p.title} / ${t.refId}`, t: t as CloudWatchTarget })),
  );
}

/** Problems of the queries against the metrics the given jobs export. */
function unknownMetrics(queries: Query[], jobs: readonly string[]): string[] {
  const known = availableMetrics(jobs);
  const problems: string[] = [];
  for (const q of queries) {
    const parsed = parsePromQL(q.expr);
    problems.push(...parsed.problems.map((p) => `${q.where}: ${p}`));
    for (const m of parsed.metrics) if (!known.has(m)) problems.push(`${q.where}: ${m} is not exported by any configured job`);
  }
  return problems;
}

describe("the PromQL metric extraction", () => {
  test("finds every selected metric and nothing else", () => {
    const q = parsePromQL(
      'sum by (node) (rate(a_total{mode="idle",node=~"$node"}[$__rate_interval])) / on (node) group_left count(b) + {__name__="c"} - label_replace(d, "x", "${1}", "y", "(.*)")',
    );
    expect(q.problems).toEqual([]);
    expect(q.metrics.sort()).toEqual(["a_total", "b", "c", "d"]);
  });

  test("reports syntax errors and selectors without a fixed name", () => {
    expect(parsePromQL("sum(rate(x[5m])").problems.length).toBeGreaterThan(0);
    expect(parsePromQL('{__name__=~"node_.*"}').problems).toEqual([expect.stringContaining("without a fixed metric name")]);
  });
});

describe("every query uses a metric the platform exports", () => {
  const values = defaultValues();
  const promChart = new PrometheusChart(Testing.app(), "p", { values });
  const grafana = new GrafanaChart(Testing.app(), "g", { values });
  // The jobs of the config Prometheus actually loads (from its ConfigMap).
  const cm = (Testing.synth(promChart) as Obj[]).find((o) => o.kind === "ConfigMap" && o.metadata.name === "prometheus-config");
  const jobs = jobNames(parse(cm?.data["prometheus.yml"]));

  test("the catalogue covers every job and only jobs the config defines", () => {
    expect(Object.keys(METRICS_BY_JOB).sort()).toEqual([...jobs].sort());
  });

  test("dashboards use only exported Prometheus metrics", () => {
    const queries = Object.entries(grafana.dashboards).flatMap(([file, d]) => promQueries(file, d));
    expect(queries.length).toBeGreaterThan(30);
    expect(unknownMetrics(queries, jobs)).toEqual([]);
  });

  test("alert rules use only exported Prometheus metrics", () => {
    const queries = promChart.rules.groups.flatMap((g) => g.rules.map((r) => ({ where: `alert ${r.alert}`, expr: r.expr })));
    expect(unknownMetrics(queries, jobs)).toEqual([]);
  });

  test("a dashboard query on an unknown metric, or on a job that is not configured, fails the check", () => {
    const typo = [{ where: "t", expr: "rate(node_cpu_second_total[5m])" }];
    expect(unknownMetrics(typo, jobs)).toEqual(["t: node_cpu_second_total is not exported by any configured job"]);
    const nodeOnly = [{ where: "t", expr: "kube_node_info" }];
    const withoutKsm = jobs.filter((j) => j !== JOB.kubeStateMetrics);
    expect(unknownMetrics(nodeOnly, withoutKsm)).toEqual(["t: kube_node_info is not exported by any configured job"]);
    expect(unknownMetrics(nodeOnly, jobs)).toEqual([]);
  });

  test("dropping a scrape job from the config makes the dashboards fail the check", () => {
    const config = prometheusConfig({
      scrapeInterval: "30s",
      evaluationInterval: "30s",
      namespace: "monitoring",
      nodeExporterName: "node-exporter",
      kubeStateMetricsName: "kube-state-metrics",
      verifyKubeletCertificates: true,
      ingressController: { namespace: "nginx-ingress", metricsPort: 9113 },
      certManager: { namespace: "cert-manager", metricsPort: 9402 },
      externalLabels: {},
    });
    const withoutCertManager = jobNames(config).filter((j) => j !== JOB.certManager);
    const queries = promQueries("ingress.json", grafana.dashboards["ingress.json"]);
    expect(unknownMetrics(queries, withoutCertManager).some((p) => p.includes("certmanager_"))).toBe(true);
  });

  test("CloudWatch queries use published AWS/SQS metrics and dimensions", () => {
    const targets = Object.entries(grafana.dashboards).flatMap(([file, d]) => cloudWatchTargets(file, d));
    expect(targets.map((x) => x.t.metricName).sort()).toEqual(
      expect.arrayContaining([
        "ApproximateAgeOfOldestMessage",
        "ApproximateNumberOfMessagesNotVisible",
        "ApproximateNumberOfMessagesVisible",
        "NumberOfMessagesDeleted",
        "NumberOfMessagesReceived",
        "NumberOfMessagesSent",
      ]),
    );
    for (const { where, t } of targets) {
      expect([where, CLOUDWATCH_METRICS[t.namespace]?.includes(t.metricName)]).toEqual([where, true]);
      for (const dim of Object.keys(t.dimensions)) expect([where, CLOUDWATCH_DIMENSIONS[t.namespace]]).toEqual([where, expect.arrayContaining([dim])]);
    }
  });

  test("the SQS dashboard is left out when the CloudWatch datasource is off", () => {
    const off = new GrafanaChart(Testing.app(), "g", { values: parseValues({ grafana: { cloudwatch: { enabled: false } } }) });
    expect(Object.keys(off.dashboards)).not.toContain("object-detection-sqs.json");
    expect(Object.values(off.dashboards).flatMap((d) => d.panels).some((p) => p.datasource.type === "cloudwatch")).toBe(false);
  });
});
