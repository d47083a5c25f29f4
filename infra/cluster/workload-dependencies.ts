/**
 * What a chart's objects need from the platform before they work, read from the
 * synthesized manifests themselves. Pure (no Pulumi): the configuration check and
 * the program (infra/cluster/workloads.ts) share it.
 */
import type { AddonName } from "./addons/versions";

export type Manifest = Record<string, unknown> & { kind?: string; apiVersion?: string; metadata?: { name?: string; annotations?: Record<string, string> } };

/** What a chart's objects need from the platform before they can work. */
export type WorkloadDependency = AddonName | "storageClass" | "clusterIssuers";

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
