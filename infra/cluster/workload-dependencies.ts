/**
 * What a chart's objects need from the platform before they work, read from the
 * synthesized manifests themselves. Pure (no Pulumi): the configuration check and
 * the program (infra/cluster/workloads.ts) share it.
 */
import type { PlatformCapability } from "../../charts/chart-entry";
import type { ChartEntry } from "../../charts/registry";
import { synthCharts } from "../../charts/synth";
import type { PlatformValues } from "../../charts/values";
import type { AddonName } from "./addons/versions";

export type Manifest = Record<string, unknown> & { kind?: string; apiVersion?: string; metadata?: { name?: string; annotations?: Record<string, string> } };

/**
 * What a chart's objects need before they can work: an add-on, the default
 * StorageClass, or what another chart provides (its entry's `provides`).
 */
export type WorkloadDependency = AddonName | "storageClass" | PlatformCapability;

/**
 * The add-ons (and platform objects) a chart's manifests need, read from the
 * manifests. Pure. Every chart runs pods, so Calico and the cloud controller manager
 * (which untaints new nodes) always come first.
 */
export function requiredDependencies(manifests: readonly Manifest[]): WorkloadDependency[] {
  const deps = new Set<WorkloadDependency>(["calico", "cloudControllerManager"]);
  for (const m of manifests) {
    const group = (m.apiVersion ?? "").split("/")[0];
    if (group === "cert-manager.io" || group === "acme.cert-manager.io") deps.add("certManager");
    if (m.kind === "Ingress") {
      deps.add("nginxIngress");
      if (Object.keys(m.metadata?.annotations ?? {}).some((a) => a.startsWith("cert-manager.io/"))) {
        deps.add("certManager");
        deps.add("clusterIssuers");
      }
    }
    if (m.kind === "Certificate") deps.add("clusterIssuers");
    const spec = (m.spec ?? {}) as { volumeClaimTemplates?: unknown[] };
    if (m.kind === "PersistentVolumeClaim" || (m.kind === "StatefulSet" && (spec.volumeClaimTemplates ?? []).length > 0)) {
      deps.add("ebsCsiDriver");
      deps.add("storageClass");
    }
    if (m.kind === "HorizontalPodAutoscaler") deps.add("metricsServer");
  }
  return [...deps].sort();
}

/** A capability some selected charts need and no selected chart provides. */
export interface MissingCapability {
  readonly capability: PlatformCapability;
  /** Registered charts that provide it. */
  readonly providers: string[];
  /** Selected charts that need it. */
  readonly needing: string[];
}

/**
 * What the selected charts' objects need from other charts (e.g. ClusterIssuers
 * for the certificates of their Ingresses) that no selected chart provides:
 * without a provider the objects never become ready. Pure.
 */
export function missingCapabilities(values: PlatformValues, selected: readonly ChartEntry[], registry: readonly ChartEntry[]): MissingCapability[] {
  const provided = new Set(selected.flatMap((c) => c.provides ?? []));
  const capabilities = new Set(registry.flatMap((c) => c.provides ?? []));
  const out: MissingCapability[] = [];
  for (const capability of [...capabilities].filter((c) => !provided.has(c))) {
    const needing = selected.filter((c) => requiredDependencies(synthCharts(values, [c])[0].manifests).includes(capability)).map((c) => c.id);
    const providers = registry.filter((c) => c.provides?.includes(capability)).map((c) => c.id);
    if (needing.length > 0) out.push({ capability, providers, needing });
  }
  return out;
}
