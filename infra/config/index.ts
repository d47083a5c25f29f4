/**
 * The platform's one typed configuration. `parseConfig` is pure and reports every
 * problem at once; `loadConfig` reads the Pulumi stack configuration and calls it.
 * Both run before any resource is declared, so bad input creates nothing.
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
import { observabilitySection } from "./observability";
import { Validator } from "../../lib/validate";
import { workloadsSection } from "./workloads";

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

/**
 * Validates `raw` (project keys without their `<project>:` prefix; values as
 * Pulumi delivers them: strings, with lists and maps as JSON text, or already
 * parsed) and returns the typed configuration, or throws one ConfigError listing
 * every problem.
 */
export function parseConfig(raw: Readonly<Record<string, unknown>>, opts: ParseOptions): PlatformConfig {
  const v = new Validator(raw);
  v.rejectUnknownKeys(knownKeys());
  const cluster = parseCluster(v, opts.region);
  const rest: Record<string, unknown> = {};
  for (const [name, section] of Object.entries(SECTIONS) as [string, ConfigSection<unknown>][]) {
    rest[name] = section.parse(v, cluster);
  }
  v.throwIfProblems(opts.source ?? "stack configuration");
  return { cluster, ...rest } as PlatformConfig;
}

/**
 * Reads every key of this project's namespace from the stack configuration (so
 * typos are caught, which `pulumi.Config.get` cannot do) plus `aws:region`
 * (or `AWS_REGION`/`AWS_DEFAULT_REGION`, which the AWS provider also honours).
 */
export function loadConfig(): PlatformConfig {
  const prefix = `${pulumi.getProject()}:`;
  const all = pulumi.runtime.allConfig();
  const raw: Record<string, unknown> = {};
  for (const [key, value] of Object.entries(all)) {
    if (key.startsWith(prefix)) raw[key.slice(prefix.length)] = value;
  }
  // Like the AWS provider itself, fall back to the standard environment variables.
  const region = all[REGION_KEY] ?? process.env.AWS_REGION ?? process.env.AWS_DEFAULT_REGION;
  return parseConfig(raw, { region });
}

export type { ClusterConfig } from "./cluster";
