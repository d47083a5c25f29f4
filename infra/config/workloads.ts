/**
 * The `workloads` section of the stack configuration: whether Pulumi installs
 * anything in the cluster, which charts it deploys, the chart values (the same
 * document `npm run synth -- --values <file>` reads) and the secret values charts
 * declare (their entries' `stackSecrets`). One structured key:
 *
 *   pulumi config set --path 'workloads.charts[0]' <chart id>
 *   pulumi config set --path workloads.values.global.domain apps.example.org
 *   pulumi config set --secret --path workloads.<stack secret key> <value>
 *
 * Pure (no Pulumi). The chart values are validated here, with the defaults the stack
 * derives (each chart's `stackDefaults`), so a bad value stops the program before any
 * resource. Nothing here names a chart: what a chart needs comes from the registry.
 */
import { CAPABILITY_PURPOSE, StackFacts } from "../../charts/chart-entry";
import { CHARTS, ChartEntry } from "../../charts/registry";
import { parseValues, PlatformValues } from "../../charts/values";
import type { ClusterConfig } from "./cluster";
import type { ChartSettings } from "./chart-settings";
import { missingCapabilities } from "../cluster/workload-dependencies";
import { ConfigError, isPlainObject, Problem, Validator } from "../../lib/validate";

export const WORKLOADS_KEYS = ["workloads"] as const;

/** The charts a stack deploys when it does not list them (their entries' `deployByDefault`), in registry order. */
export const DEFAULT_WORKLOAD_CHARTS: readonly string[] = CHARTS.filter((c) => c.deployByDefault).map((c) => c.id);

export const WORKLOADS_DEFAULTS = {
  enabled: true,
  /** A control plane is up 5-10 minutes after its instance starts. */
  apiReadyTimeoutMinutes: 20,
  teardownTimeoutMinutes: 20,
  /** Never drop state for an unreachable cluster unless the stack says so for one destroy. */
  deleteUnreachable: false,
} as const;

export interface WorkloadsConfig {
  /** false: nothing is declared in the cluster (no provider, add-ons, workloads); the program stops at AWS. */
  readonly enabled: boolean;
  /** Chart ids (charts/registry.ts) deployed, in registry order; empty: add-ons only. */
  readonly charts: readonly string[];
  /** The chart values document as given (stack-derived defaults are merged by {@link workloadValues}). */
  readonly values: Readonly<Record<string, unknown>>;
  /** The secret values the charts declare (`stackSecrets`) that the stack sets, by key. Secret in the stack. */
  readonly stackSecrets: Readonly<Record<string, string>>;
  readonly apiReadyTimeoutMinutes: number;
  readonly teardownTimeoutMinutes: number;
  /**
   * Reach the API server through `https://127.0.0.1:<port>`, where a Session Manager
   * port-forwarding tunnel to the control plane listens (CI sets it for its run; README
   * "CI deploys through a tunnel"). Unset: the API server's public address.
   */
  readonly apiServerLocalPort?: number;
  /** `pulumi destroy` drops the cluster's objects from the state when the API server is unreachable. Only for a cluster that is already gone. */
  readonly deleteUnreachable: boolean;
}

const FIXED_KEYS = ["enabled", "charts", "values", "apiReadyTimeoutMinutes", "teardownTimeoutMinutes", "apiServerLocalPort", "deleteUnreachable"];

/** What the stack knows that chart values default to. */
export type StackDerivedValues = StackFacts;

function deepMerge(base: Record<string, unknown>, over: Record<string, unknown>): Record<string, unknown> {
  const out: Record<string, unknown> = { ...base };
  for (const [k, v] of Object.entries(over)) {
    const b = out[k];
    out[k] = isPlainObject(b) && isPlainObject(v) ? deepMerge(b, v) : v;
  }
  return out;
}

/** The values document with the stack's settings (each chart's `stackDefaults`) as defaults under the user's own. Pure. */
export function stackValuesDocument(
  user: Readonly<Record<string, unknown>>,
  d: StackFacts,
  charts: readonly ChartEntry[] = CHARTS,
): Record<string, unknown> {
  const derived = charts.reduce<Record<string, unknown>>((doc, c) => deepMerge(doc, { ...c.stackDefaults?.(d) }), {});
  return deepMerge(derived, user as Record<string, unknown>);
}

/** Validated chart values for the stack; throws ConfigError naming `workloads.values.<key>`. */
export function workloadValues(w: WorkloadsConfig, d: StackDerivedValues): PlatformValues {
  return parseValues(stackValuesDocument(w.values, d), "stack configuration workloads.values");
}

export function parseWorkloads(v: Validator, cluster: ClusterConfig): WorkloadsConfig {
  const d = WORKLOADS_DEFAULTS;
  const s = v.object("workloads") ?? new Validator({}, v.keyPath("workloads"));
  const secretKeys = [...new Set(CHARTS.flatMap((c) => (c.stackSecrets ?? []).map((x) => x.key)))];
  for (const decl of CHARTS.flatMap((c) => c.stackSecrets ?? [])) {
    s.note(decl.key, { kind: "string", rule: { pattern: decl.pattern, allowed: decl.allowed }, secret: true });
  }
  s.note("values", { kind: "any", description: "The chart values document (README \"Chart values\"), the format of `npm run synth -- --values`." });
  s.rejectUnknownKeys([...FIXED_KEYS, ...secretKeys]);
  const known = CHARTS.map((c) => c.id);
  const requested = s.stringList("charts", DEFAULT_WORKLOAD_CHARTS, { oneOf: known });
  const seen = new Set<string>();
  for (const id of requested) {
    if (seen.has(id)) s.fail("charts", requested, `each chart id at most once (${id} repeats)`);
    seen.add(id);
  }
  const charts = known.filter((id) => seen.has(id));

  let values: Record<string, unknown> = {};
  const rawValues = s.raw("values");
  if (rawValues !== undefined) {
    let doc: unknown = rawValues;
    if (typeof doc === "string") {
      try {
        doc = JSON.parse(doc);
      } catch {
        doc = undefined;
      }
    }
    if (isPlainObject(doc)) values = doc;
    else s.fail("values", rawValues, "a mapping in the chart values format (README \"Chart values\")");
  }
  const enabled = s.boolean("enabled", d.enabled);
  const out: WorkloadsConfig = {
    enabled,
    charts,
    values,
    stackSecrets: parseStackSecrets(s),
    apiReadyTimeoutMinutes: s.number("apiReadyTimeoutMinutes", d.apiReadyTimeoutMinutes, { min: 5, max: 60 }),
    teardownTimeoutMinutes: s.number("teardownTimeoutMinutes", d.teardownTimeoutMinutes, { min: 5, max: 60 }),
    apiServerLocalPort: s.number("apiServerLocalPort", undefined, { min: 1024, max: 65535 }),
    deleteUnreachable: s.boolean("deleteUnreachable", d.deleteUnreachable),
  };
  // The values are checked now, so a bad one fails before anything is declared. The
  // log group name may still change with the observability section; it is re-derived there.
  if (enabled) {
    try {
      workloadValues(out, { clusterName: cluster.clusterName, region: cluster.region });
    } catch (e) {
      if (!(e instanceof ConfigError)) throw e;
      for (const p of e.problems) s.failAt(`${s.keyPath("values")}.${p.key}`, p.value, p.allowed);
    }
  }
  return out;
}

/** The charts' declared secret values that are set. Checked by hand: a problem report quotes the value, and these are secrets. */
function parseStackSecrets(s: Validator): Record<string, string> {
  const out: Record<string, string> = {};
  for (const decl of CHARTS.flatMap((c) => c.stackSecrets ?? [])) {
    const value = s.raw(decl.key);
    if (value === undefined || value === null || decl.key in out) continue;
    if (typeof value === "string" && decl.pattern.test(value)) out[decl.key] = value;
    else s.fail(decl.key, "(secret, not shown)", decl.allowed);
  }
  return out;
}

export const workloadsSection = {
  keys: WORKLOADS_KEYS,
  parse: (v: Validator, cluster: ClusterConfig): WorkloadsConfig => parseWorkloads(v, cluster),
};

/**
 * Checks that need more than this section, and the chart values with the stack's
 * final settings (undefined when workloads are disabled or the values are not
 * valid). Every independent problem is returned; none is thrown. Pure.
 */
export function workloadProblems(
  w: WorkloadsConfig,
  d: StackFacts & { readonly chartSettings: ChartSettings },
  charts: readonly ChartEntry[] = CHARTS,
): { values: PlatformValues | undefined; problems: Problem[] } {
  const problems: Problem[] = [];
  if (!w.enabled) return { values: undefined, problems };
  const selected = charts.filter((c) => w.charts.includes(c.id));
  const withoutAws = selected.filter((c) => c.aws && !d.chartSettings[c.id]?.enabled);
  for (const c of withoutAws) {
    problems.push({
      key: "workloads.charts",
      value: w.charts,
      allowed: `${c.id} only together with ${c.aws?.configKey}.enabled: true (its queues); remove it or enable the queues`,
    });
  }
  let values: PlatformValues;
  try {
    values = workloadValues(w, d);
  } catch (e) {
    if (!(e instanceof ConfigError)) throw e;
    problems.push(...e.problems.map((p) => ({ ...p, key: `workloads.values.${p.key}` })));
    return { values: undefined, problems };
  }
  const off = selected.filter((c) => c.enabled?.(values) === false).map((c) => c.id);
  if (off.length > 0) {
    problems.push({
      key: "workloads.charts",
      value: w.charts,
      allowed: `charts whose values enable them; ${off.join(", ")} need workloads.values.<chart>.enabled: true (e.g. workloads.values.${camel(off[0])}.enabled)`,
    });
  }
  // E.g. certificates for Ingress hosts come from the chart with the ClusterIssuers: without it they never issue.
  for (const m of missingCapabilities(values, selected, charts)) {
    problems.push({
      key: "workloads.charts",
      value: w.charts,
      allowed: `a list that includes ${m.providers.join(" or ")}, which ${CAPABILITY_PURPOSE[m.capability]}: ${m.needing.join(", ")}`,
    });
  }
  return { values: problems.length === 0 ? values : undefined, problems };
}

/** {@link workloadProblems} for callers that stop at the first bad configuration: throws ConfigError. */
export function resolveWorkloadValues(
  w: WorkloadsConfig,
  d: StackFacts & { readonly chartSettings: ChartSettings },
  charts: readonly ChartEntry[] = CHARTS,
): PlatformValues | undefined {
  const { values, problems } = workloadProblems(w, d, charts);
  if (problems.length > 0) throw new ConfigError("stack configuration", problems);
  return values;
}

const camel = (id: string) => id.replace(/-([a-z])/g, (_, ch: string) => ch.toUpperCase());
