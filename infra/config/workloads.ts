/**
 * The `workloads` section of the stack configuration: whether Pulumi installs
 * anything in the cluster, which charts it deploys, and the chart values (the same
 * document `npm run synth -- --values <file>` reads). One structured key:
 *
 *   pulumi config set --path 'workloads.charts[0]' object-detection
 *   pulumi config set --path workloads.values.global.domain apps.example.org
 *   pulumi config set --secret --path workloads.telegramBotToken <token from BotFather>
 *
 * Pure (no Pulumi). The chart values are validated here, with the defaults the stack
 * derives (region, cluster name), so a bad value stops the program before any resource.
 */
import { CHARTS } from "../../charts/registry";
import { synthCharts } from "../../charts/synth";
import { parseValues, PlatformValues } from "../../charts/values";
import type { ClusterConfig } from "./cluster";
import { requiredDependencies } from "../cluster/workload-dependencies";
import { ConfigError, isPlainObject, Validator } from "../../lib/validate";

export const WORKLOADS_KEYS = ["workloads"] as const;

/** The seed platform's applications: the object-detection service and its observability. */
export const DEFAULT_WORKLOAD_CHARTS = ["cluster-issuers", "object-detection", "prometheus", "grafana", "fluentd"] as const;

export const WORKLOADS_DEFAULTS = {
  enabled: true,
  /** A control plane is up 5-10 minutes after its instance starts. */
  apiReadyTimeoutMinutes: 20,
  teardownTimeoutMinutes: 20,
} as const;

export interface WorkloadsConfig {
  /** false: nothing is declared in the cluster (no provider, add-ons, workloads); the program stops at AWS. */
  readonly enabled: boolean;
  /** Chart ids (charts/registry.ts) deployed, in registry order; empty: add-ons only. */
  readonly charts: readonly string[];
  /** The chart values document as given (stack-derived defaults are merged by {@link workloadValues}). */
  readonly values: Readonly<Record<string, unknown>>;
  /** Telegram bot token for polybot; without it polybot waits for its Secret (README). Secret in the stack. */
  readonly telegramBotToken?: string;
  readonly apiReadyTimeoutMinutes: number;
  readonly teardownTimeoutMinutes: number;
}

const TELEGRAM_TOKEN = /^[0-9]{5,16}:[A-Za-z0-9_-]{30,64}$/;

const SUB_KEYS = ["enabled", "charts", "values", "telegramBotToken", "apiReadyTimeoutMinutes", "teardownTimeoutMinutes"];

/** Name of the notebook password Secret the program generates when Dask is deployed. */
export const DASK_PASSWORD_SECRET = "dask-notebook-password";

/** What the stack knows that chart values default to. */
export interface StackDerivedValues {
  readonly clusterName: string;
  readonly region: string;
  /** CloudWatch Logs group of the container logs (observability.logGroupName). */
  readonly logGroupName?: string;
}

function deepMerge(base: Record<string, unknown>, over: Record<string, unknown>): Record<string, unknown> {
  const out: Record<string, unknown> = { ...base };
  for (const [k, v] of Object.entries(over)) {
    const b = out[k];
    out[k] = isPlainObject(b) && isPlainObject(v) ? deepMerge(b, v) : v;
  }
  return out;
}

/** The values document with the stack's settings as defaults under the user's own. Pure. */
export function stackValuesDocument(user: Readonly<Record<string, unknown>>, d: StackDerivedValues): Record<string, unknown> {
  const derived = {
    fluentd: { clusterName: d.clusterName, cloudwatch: { region: d.region, ...(d.logGroupName ? { logGroupName: d.logGroupName } : {}) } },
    grafana: { cloudwatch: { region: d.region } },
    // The chart has no default on purpose (a well-known name invites a hand-made
    // password); the program generates this Secret (infra/cluster/workload-secrets.ts).
    dask: { notebook: { passwordSecret: { name: DASK_PASSWORD_SECRET } } },
  };
  return deepMerge(derived, user as Record<string, unknown>);
}

/** Validated chart values for the stack; throws ConfigError naming `workloads.values.<key>`. */
export function workloadValues(w: WorkloadsConfig, d: StackDerivedValues): PlatformValues {
  return parseValues(stackValuesDocument(w.values, d), "stack configuration workloads.values");
}

export function parseWorkloads(v: Validator, cluster: ClusterConfig): WorkloadsConfig {
  const d = WORKLOADS_DEFAULTS;
  const s = v.object("workloads") ?? new Validator({}, v.keyPath("workloads"));
  s.rejectUnknownKeys(SUB_KEYS);
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
  // Checked by hand: a problem report quotes the value, and this one is a secret.
  let telegramBotToken: string | undefined;
  const token = s.raw("telegramBotToken");
  if (token !== undefined && token !== null) {
    if (typeof token === "string" && TELEGRAM_TOKEN.test(token)) telegramBotToken = token;
    else s.fail("telegramBotToken", "(secret, not shown)", "a Telegram bot token from BotFather (<digits>:<35 characters>), set with `pulumi config set --secret`");
  }
  const out: WorkloadsConfig = {
    enabled,
    charts,
    values,
    telegramBotToken,
    apiReadyTimeoutMinutes: s.number("apiReadyTimeoutMinutes", d.apiReadyTimeoutMinutes, { min: 5, max: 60 }),
    teardownTimeoutMinutes: s.number("teardownTimeoutMinutes", d.teardownTimeoutMinutes, { min: 5, max: 60 }),
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

export const workloadsSection = {
  keys: WORKLOADS_KEYS,
  parse: (v: Validator, cluster: ClusterConfig): WorkloadsConfig => parseWorkloads(v, cluster),
};

/**
 * Checks that need more than this section (run by the program right after
 * loadConfig, before any resource), and returns the chart values with the stack's
 * final settings. Throws ConfigError; undefined when workloads are disabled.
 */
export function resolveWorkloadValues(
  w: WorkloadsConfig,
  d: StackDerivedValues & { readonly objectDetectionEnabled: boolean },
): PlatformValues | undefined {
  if (!w.enabled) return undefined;
  if (w.charts.includes("object-detection") && !d.objectDetectionEnabled) {
    throw new ConfigError("stack configuration", [
      {
        key: "workloads.charts",
        value: w.charts,
        allowed: "object-detection only together with objectDetection.enabled: true (its queues); remove it or enable the queues",
      },
    ]);
  }
  const values = workloadValues(w, d);
  const off = CHARTS.filter((c) => w.charts.includes(c.id) && c.enabled?.(values) === false).map((c) => c.id);
  if (off.length > 0) {
    throw new ConfigError("stack configuration", [
      {
        key: "workloads.charts",
        value: w.charts,
        allowed: `charts whose values enable them; ${off.join(", ")} need workloads.values.<chart>.enabled: true (e.g. workloads.values.${camel(off[0])}.enabled)`,
      },
    ]);
  }
  // Certificates for Ingress hosts come from the ClusterIssuers chart: without it they never issue.
  if (!w.charts.includes("cluster-issuers")) {
    const selected = CHARTS.filter((c) => w.charts.includes(c.id));
    const needing = selected.filter((c) => requiredDependencies(synthCharts(values, [c])[0].manifests).includes("clusterIssuers")).map((c) => c.id);
    if (needing.length > 0) {
      throw new ConfigError("stack configuration", [
        {
          key: "workloads.charts",
          value: w.charts,
          allowed: `a list that includes cluster-issuers, which issues the certificates these charts request: ${needing.join(", ")}`,
        },
      ]);
    }
  }
  return values;
}

const camel = (id: string) => id.replace(/-([a-z])/g, (_, ch: string) => ch.toUpperCase());
