/**
 * The platform's one typed configuration. `checkConfig` runs every check and
 * reports every problem at once (the sections through `parseConfig`, the checks
 * across sections, and the account/region lookups when it is given them);
 * `loadCheckedConfig` runs it on the Pulumi stack configuration before any
 * resource is declared, so bad input creates nothing.
 *
 * Adding a section (one file per concern, `infra/config/<section>.ts`):
 *   1. export a `ConfigSection` from your file: its top-level keys and a
 *      `parse(v, cluster)` that reads them through the validator;
 *   2. add one line to `SECTIONS` below. `PlatformConfig` picks up its type.
 */
import * as pulumi from "@pulumi/pulumi";
import { CLUSTER_KEYS, ClusterConfig, parseCluster, REGION_KEY } from "./cluster";
import { nodePoolsSection } from "./node-pools";
import { chartSettingsSection } from "./chart-settings";
import { ciIdentitySection } from "./ci-identity";
import { observabilitySection } from "./observability";
import { ObjectShape, Problem, Validator } from "../../lib/validate";
import type { PlatformValues } from "../../charts/values";
import { StackConfigError } from "./errors";
import { awsLookups, lookupProblems, RegionLookups } from "./lookups";
import { configWarnings, formatWarning, Warning } from "./warnings";
import { workloadProblems, workloadsSection } from "./workloads";

export interface ConfigSection<T> {
  /** Top-level stack configuration keys this section reads, without the project prefix. */
  readonly keys: readonly string[];
  /** Reads the section's keys; `cluster` is already parsed (defaults where it had problems). */
  readonly parse: (v: Validator, cluster: ClusterConfig) => T;
}

/**
 * Sections after `cluster`, parsed in this order. The property name is where the
 * parsed section appears in {@link PlatformConfig}.
 */
const SECTIONS = {
  nodePools: nodePoolsSection,
  /** The sections charts own (their registry entries' `aws.configKey`), by chart id. */
  chartSettings: chartSettingsSection(),
  observability: observabilitySection,
  workloads: workloadsSection,
  ciIdentity: ciIdentitySection,
} satisfies Record<string, ConfigSection<unknown>>;

type Sections = typeof SECTIONS;

export type PlatformConfig = { readonly cluster: ClusterConfig } & {
  readonly [K in keyof Sections]: Sections[K] extends ConfigSection<infer T> ? T : never;
};

/** Every key the project namespace accepts; anything else is reported as unknown. */
export function knownKeys(): string[] {
  return [...CLUSTER_KEYS, ...(Object.values(SECTIONS) as ConfigSection<unknown>[]).flatMap((s) => s.keys)];
}

export interface ParseOptions {
  /** The AWS provider's region (`aws:region`), which lives outside the project namespace. */
  readonly region: string | undefined;
  /** Names the input in the error message. @default "stack configuration" */
  readonly source?: string;
}

/** Stand-ins for a cluster name or region that has a problem of its own, so keys derived from it report nothing more. */
const STAND_IN = { clusterName: "cluster", region: "us-east-1" } as const;

/** Parses every section into `v` (problems recorded there, defaults for bad values). */
function parseSections(v: Validator, region: string | undefined): PlatformConfig {
  v.rejectUnknownKeys(knownKeys());
  const cluster = parseCluster(v, region);
  // One mistake, one message: what the sections derive from a bad name or region
  // (log group names, chart values) is derived from a stand-in instead.
  const reported = new Set(v.problems.map((p) => p.key));
  const base: ClusterConfig = {
    ...cluster,
    clusterName: reported.has("clusterName") ? STAND_IN.clusterName : cluster.clusterName,
    region: reported.has(REGION_KEY) ? STAND_IN.region : cluster.region,
  };
  const rest: Record<string, unknown> = {};
  for (const [name, section] of Object.entries(SECTIONS) as [string, ConfigSection<unknown>][]) {
    rest[name] = section.parse(v, base);
  }
  return { cluster, ...rest } as PlatformConfig;
}

/**
 * Validates `raw` (project keys without their `<project>:` prefix; values as
 * Pulumi delivers them: strings, with lists and maps as JSON text, or already
 * parsed) and returns the typed configuration, or throws one ConfigError listing
 * every problem of the sections. ({@link checkConfig} adds the checks across sections.)
 */
export function parseConfig(raw: Readonly<Record<string, unknown>>, opts: ParseOptions): PlatformConfig {
  const v = new Validator(raw);
  const config = parseSections(v, opts.region);
  v.throwIfProblems(opts.source ?? "stack configuration");
  return config;
}

/** What every read of the configuration accepts, recorded from the parsers themselves (the JSON Schema's source). */
export function describeConfig(): ObjectShape {
  const v = Validator.recording();
  parseSections(v, undefined);
  return v.shape as ObjectShape;
}

/** A configuration that passed every check, with the chart values the stack deploys. */
export interface CheckedConfig {
  readonly config: PlatformConfig;
  /** undefined when workloads are disabled. */
  readonly workloadValues: PlatformValues | undefined;
}

/** The outcome of a check: problems stop the program, warnings do not. */
export interface CheckReport {
  /** Set when there is no problem. */
  readonly checked?: CheckedConfig;
  readonly problems: readonly Problem[];
  readonly warnings: readonly Warning[];
  /** Checks that did not run, and why (e.g. lookups without AWS). */
  readonly skipped: readonly string[];
}

const problemId = (p: Problem) => `${p.key}\u0000${p.allowed}\u0000${JSON.stringify(p.value)}`;

/** Every check that needs nothing but the configuration: the sections and the checks across them. Pure. */
function checkOffline(raw: Readonly<Record<string, unknown>>, region: string | undefined) {
  const v = new Validator(raw);
  const config = parseSections(v, region);
  const problems = [...v.problems];
  const reported = new Set(problems.map((p) => p.key));
  const workloads = workloadProblems(config.workloads, {
    clusterName: reported.has("clusterName") ? STAND_IN.clusterName : config.cluster.clusterName,
    region: reported.has(REGION_KEY) ? STAND_IN.region : config.cluster.region,
    logGroupName: config.observability.logGroupName,
    chartSettings: config.chartSettings,
  });
  // The chart values were checked with the section too: each problem once.
  const seen = new Set(problems.map(problemId));
  problems.push(...workloads.problems.filter((p) => !seen.has(problemId(p))));
  return { config, problems, reported, workloadValues: workloads.values };
}

function report(config: PlatformConfig, problems: Problem[], workloadValues: PlatformValues | undefined, skipped: string[]): CheckReport {
  return {
    checked: problems.length === 0 ? { config, workloadValues } : undefined,
    problems,
    warnings: configWarnings(config),
    skipped,
  };
}

/**
 * Every check, with or without the account and region: the sections, the checks
 * across them, and (when `lookups` is given and the region is valid) what the
 * region offers. Never throws for bad input: everything is in the report.
 */
export async function checkConfig(
  raw: Readonly<Record<string, unknown>>,
  opts: ParseOptions & { readonly lookups?: RegionLookups },
): Promise<CheckReport> {
  const { config, problems, reported, workloadValues } = checkOffline(raw, opts.region);
  const skipped: string[] = [];
  if (!opts.lookups) {
    skipped.push("the checks against the AWS account and region (availability zones, instance type offerings, AMIs) need AWS: `pulumi preview` runs them");
  } else if (reported.has(REGION_KEY)) {
    skipped.push(`the checks against the region (availability zones, instance types, AMIs): ${REGION_KEY} has a problem`);
  } else {
    try {
      problems.push(...(await lookupProblems(config, opts.lookups, reported)));
    } catch (e) {
      // E.g. a region the account has not enabled, or no credentials: the provider's own words.
      problems.push({ key: REGION_KEY, value: opts.region, allowed: `a region this account can use (asking it about zones and instance types failed: ${(e as Error).message})` });
    }
  }
  return report(config, problems, workloadValues, skipped);
}

/** The project's keys (without prefix) and the region, as the Pulumi program sees them. */
function stackConfig(): { raw: Record<string, unknown>; region: string | undefined } {
  const prefix = `${pulumi.getProject()}:`;
  const all = pulumi.runtime.allConfig();
  const raw: Record<string, unknown> = {};
  for (const [key, value] of Object.entries(all)) {
    if (key.startsWith(prefix)) raw[key.slice(prefix.length)] = value;
  }
  // Like the AWS provider itself, fall back to the standard environment variables.
  const region = all[REGION_KEY] ?? process.env.AWS_REGION ?? process.env.AWS_DEFAULT_REGION;
  return { raw, region };
}

/**
 * Reads every key of this project's namespace from the stack configuration (so
 * typos are caught, which `pulumi.Config.get` cannot do) plus `aws:region`
 * (or `AWS_REGION`/`AWS_DEFAULT_REGION`, which the AWS provider also honours), and
 * parses the sections. Throws ConfigError.
 */
export function loadConfig(): PlatformConfig {
  const { raw, region } = stackConfig();
  return parseConfig(raw, { region });
}

let checkedStack: CheckedConfig | undefined;

/**
 * The program's configuration step (infra/main.ts awaits it before the program
 * declares anything): every check, the region's lookups included, then Pulumi
 * warnings for risky values, and a {@link StackConfigError} (a `RunError`: Pulumi
 * prints its message and no stack trace) listing every problem.
 */
export async function loadCheckedConfig(lookups: RegionLookups = awsLookups()): Promise<CheckedConfig> {
  const { raw, region } = stackConfig();
  const report = await checkConfig(raw, { region, lookups });
  return (checkedStack = settle(report));
}

/**
 * The configuration {@link loadCheckedConfig} checked; when the program was
 * loaded without it (unit tests that load infra/index directly), the same
 * checks except the region's lookups, run now.
 */
export function checkedConfig(): CheckedConfig {
  if (checkedStack) return checkedStack;
  const { raw, region } = stackConfig();
  const { config, problems, workloadValues } = checkOffline(raw, region);
  return settle(report(config, problems, workloadValues, []));
}

function settle(r: CheckReport): CheckedConfig {
  for (const w of r.warnings) pulumi.log.warn(formatWarning(w));
  if (!r.checked) throw new StackConfigError(r.problems);
  return r.checked;
}

export type { ClusterConfig } from "./cluster";
