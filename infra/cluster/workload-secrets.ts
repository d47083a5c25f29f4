/**
 * The Secrets the charts reference but never contain (their manifests carry no
 * credential), as each chart's registry entry declares them (`secrets`): which
 * Secret a deployed chart needs, and how each key is produced. Pure;
 * infra/cluster/workloads.ts turns the specs into `kubernetes.core.v1.Secret`s whose
 * values come from `@pulumi/random` (or the stack's secret config) as secret outputs.
 */
import type { ChartEntry } from "../../charts/registry";
import type { SecretValueSpec } from "../../charts/required-secrets";
import type { PlatformValues } from "../../charts/values";

export type { SecretValueSpec } from "../../charts/required-secrets";

export interface WorkloadSecretSpec {
  readonly chart: string;
  readonly namespace: string;
  readonly name: string;
  readonly keys: Readonly<Record<string, SecretValueSpec>>;
}

/** Secrets chart `entry` references with `values`, empty when it references none. */
export function workloadSecretSpecs(entry: ChartEntry, values: PlatformValues): WorkloadSecretSpec[] {
  return (entry.secrets?.(values) ?? []).map((r) => {
    const keys: Record<string, SecretValueSpec> = {};
    for (const [key, spec] of Object.entries(r.keys)) {
      const g = spec.generate;
      if (g.kind === "derived") {
        const source = r.keys[g.from]?.generate.kind;
        if (source === undefined || source === "derived") {
          throw new Error(`${entry.id}: Secret ${r.name} key ${key} derives from ${g.from}, which is ${source ? "derived itself" : "not a key of the Secret"}`);
        }
      }
      keys[key] = g;
    }
    return { chart: entry.id, namespace: r.namespace, name: r.name, keys };
  });
}
