/**
 * A small typed builder for Grafana dashboard JSON (schema of Grafana 10+), so the
 * dashboards are reviewed as code and every query is a field tests can reach.
 * The JSON the chart ships is checked in under test/golden/grafana/.
 */

/** Datasource UIDs fixed by the provisioning file (datasources.ts). */
export const DATASOURCE = {
  prometheus: { type: "prometheus", uid: "prometheus" },
  cloudwatch: { type: "cloudwatch", uid: "cloudwatch" },
} as const;

export interface PrometheusTarget {
  readonly refId: string;
  readonly datasource: typeof DATASOURCE.prometheus;
  readonly expr: string;
  readonly legendFormat?: string;
  readonly instant?: boolean;
  readonly range?: boolean;
}

export interface CloudWatchTarget {
  readonly refId: string;
  readonly datasource: typeof DATASOURCE.cloudwatch;
  readonly queryMode: "Metrics";
  readonly metricQueryType: 0;
  readonly metricEditorMode: 0;
  readonly region: "default";
  readonly namespace: string;
  readonly metricName: string;
  readonly dimensions: Record<string, string>;
  readonly statistic: "Average" | "Maximum" | "Minimum" | "Sum" | "SampleCount";
  readonly period: string;
  readonly matchExact: boolean;
  readonly label: string;
  readonly id: string;
  readonly expression: string;
}

export type Target = PrometheusTarget | CloudWatchTarget;

export interface Panel {
  readonly id: number;
  readonly type: "timeseries" | "stat" | "table" | "bargauge";
  readonly title: string;
  readonly description?: string;
  readonly datasource: typeof DATASOURCE.prometheus | typeof DATASOURCE.cloudwatch;
  readonly gridPos: { h: number; w: number; x: number; y: number };
  readonly fieldConfig: { defaults: Record<string, unknown>; overrides: unknown[] };
  readonly options: Record<string, unknown>;
  readonly targets: readonly Target[];
}

export interface Variable {
  readonly name: string;
  readonly label: string;
  readonly type: "query" | "custom" | "constant";
  readonly [key: string]: unknown;
}

export interface Dashboard {
  readonly uid: string;
  readonly title: string;
  readonly description: string;
  readonly tags: readonly string[];
  readonly schemaVersion: number;
  readonly version: number;
  readonly editable: boolean;
  readonly graphTooltip: number;
  readonly time: { from: string; to: string };
  readonly refresh: string;
  readonly timezone: string;
  readonly templating: { list: readonly Variable[] };
  readonly annotations: { list: readonly unknown[] };
  readonly panels: readonly Panel[];
}

/** What a panel needs before it gets an id and a position. */
export interface PanelSpec {
  readonly type?: Panel["type"];
  readonly title: string;
  readonly description?: string;
  readonly unit?: string;
  readonly targets: readonly Omit<PrometheusTarget, "refId" | "datasource">[] | readonly Omit<CloudWatchTarget, "refId" | "datasource">[];
  readonly datasource?: "prometheus" | "cloudwatch";
  /** Width in grid columns (of 24). */
  readonly width?: number;
  readonly height?: number;
  readonly min?: number;
  readonly max?: number;
  /** Red below this value (stat/bargauge thresholds), e.g. certificate seconds left. */
  readonly redBelow?: number;
  /** Red above this value, e.g. error ratio. */
  readonly redAbove?: number;
  readonly stacked?: boolean;
}

export function promQuery(expr: string, legendFormat?: string): Omit<PrometheusTarget, "refId" | "datasource"> {
  return legendFormat === undefined ? { expr } : { expr, legendFormat };
}

export function cloudWatchQuery(opts: {
  namespace: string;
  metricName: string;
  dimensions: Record<string, string>;
  statistic: CloudWatchTarget["statistic"];
  periodSeconds: number;
  label: string;
}): Omit<CloudWatchTarget, "refId" | "datasource"> {
  return {
    queryMode: "Metrics",
    metricQueryType: 0,
    metricEditorMode: 0,
    region: "default",
    namespace: opts.namespace,
    metricName: opts.metricName,
    dimensions: opts.dimensions,
    statistic: opts.statistic,
    period: String(opts.periodSeconds),
    matchExact: true,
    label: opts.label,
    id: "",
    expression: "",
  };
}

function thresholds(spec: PanelSpec): Record<string, unknown> {
  if (spec.redBelow !== undefined) {
    return {
      mode: "absolute",
      steps: [
        { color: "red", value: null },
        { color: "green", value: spec.redBelow },
      ],
    };
  }
  return {
    mode: "absolute",
    steps: [
      { color: "green", value: null },
      ...(spec.redAbove !== undefined ? [{ color: "red", value: spec.redAbove }] : []),
    ],
  };
}

function panelOptions(type: Panel["type"]): Record<string, unknown> {
  switch (type) {
    case "timeseries":
      return { legend: { displayMode: "table", placement: "bottom", calcs: ["lastNotNull", "max"] }, tooltip: { mode: "multi" } };
    case "stat":
      return { reduceOptions: { calcs: ["lastNotNull"], fields: "", values: false }, colorMode: "value", graphMode: "area" };
    case "bargauge":
      return { reduceOptions: { calcs: ["lastNotNull"], fields: "", values: false }, orientation: "horizontal", displayMode: "basic" };
    case "table":
      return { showHeader: true };
  }
}

/**
 * Lays panels out left to right in rows of 24 columns and numbers them, so
 * dashboards list panels, not coordinates.
 */
export function dashboard(opts: {
  uid: string;
  title: string;
  description: string;
  variables?: readonly Variable[];
  panels: readonly PanelSpec[];
}): Dashboard {
  let x = 0;
  let y = 0;
  let rowHeight = 0;
  const panels: Panel[] = opts.panels.map((spec, i) => {
    const w = spec.width ?? 12;
    const h = spec.height ?? 8;
    if (x + w > 24) {
      x = 0;
      y += rowHeight;
      rowHeight = 0;
    }
    const gridPos = { h, w, x, y };
    x += w;
    rowHeight = Math.max(rowHeight, h);
    const ds = DATASOURCE[spec.datasource ?? "prometheus"];
    const type = spec.type ?? "timeseries";
    const custom = type === "timeseries" ? { custom: { fillOpacity: 10, stacking: { mode: spec.stacked ? "normal" : "none" } } } : {};
    return {
      id: i + 1,
      type,
      title: spec.title,
      ...(spec.description ? { description: spec.description } : {}),
      datasource: ds,
      gridPos,
      fieldConfig: {
        defaults: {
          ...(spec.unit ? { unit: spec.unit } : {}),
          ...(spec.min !== undefined ? { min: spec.min } : {}),
          ...(spec.max !== undefined ? { max: spec.max } : {}),
          thresholds: thresholds(spec),
          ...custom,
        },
        overrides: [],
      },
      options: panelOptions(type),
      targets: spec.targets.map((t, j) => ({ refId: String.fromCharCode(65 + j), datasource: ds, ...t }) as Target),
    };
  });
  return {
    uid: opts.uid,
    title: opts.title,
    description: opts.description,
    tags: ["platform"],
    schemaVersion: 39,
    version: 1,
    // Provisioned dashboards are code: edits belong in this repository.
    editable: false,
    graphTooltip: 1,
    time: { from: "now-6h", to: "now" },
    refresh: "1m",
    timezone: "browser",
    templating: { list: opts.variables ?? [] },
    annotations: { list: [] },
    panels,
  };
}

/** A variable whose values come from a Prometheus `label_values(selector, label)` query. */
export function promLabelVariable(name: string, label: string, selector: string, labelName: string, multi = true): Variable {
  const query = `label_values(${selector}, ${labelName})`;
  return {
    name,
    label,
    type: "query",
    datasource: DATASOURCE.prometheus,
    query: { query, refId: "PrometheusVariableQueryEditor-VariableQuery" },
    definition: query,
    refresh: 2,
    sort: 1,
    multi,
    includeAll: multi,
    ...(multi ? { allValue: ".*" } : {}),
    current: multi ? { text: "All", value: "$__all" } : {},
  };
}

/** A fixed value chosen at synth time (from chart values). */
export function constantVariable(name: string, label: string, value: string): Variable {
  return { name, label, type: "constant", query: value, hide: 2, current: { text: value, value } };
}

/** A picker over a fixed list of values. */
export function customVariable(name: string, label: string, values: readonly string[]): Variable {
  return {
    name,
    label,
    type: "custom",
    query: values.join(","),
    multi: true,
    includeAll: true,
    current: { text: "All", value: "$__all" },
    options: values.map((v) => ({ text: v, value: v, selected: false })),
  };
}
