/**
 * Rules every synthesized chart must follow (design.md, "Workload decisions").
 * Call from any chart test:
 *
 *   import { assertChartInvariants } from "./invariants";
 *   assertChartInvariants(Testing.synth(chart));
 *
 * `chartInvariantViolations` returns the violations instead of throwing, for
 * tests that expect some.
 */

type Obj = Record<string, any>; // eslint-disable-line @typescript-eslint/no-explicit-any

const WORKLOAD_KINDS = ["Deployment", "StatefulSet", "DaemonSet"];
/** Env var names that hold credentials; their values must come from a Secret, never a literal. */
const CREDENTIAL_ENV = /(PASSWORD|PASSWD|SECRET|TOKEN|API_KEY|ACCESS_KEY|PRIVATE_KEY|CREDENTIAL)/i;
/** ...unless the variable only names or points at the credential. */
const CREDENTIAL_POINTER = /(_FILE|_PATH|_NAME|_URL|_REF|_DIR)$/i;

function id(o: Obj): string {
  const ns = o.metadata?.namespace ? `${o.metadata.namespace}/` : "";
  return `${o.kind} ${ns}${o.metadata?.name}`;
}

function podSpec(w: Obj): Obj {
  return w.spec?.template?.spec ?? {};
}

function podLabels(w: Obj): Record<string, string> {
  return w.spec?.template?.metadata?.labels ?? {};
}

function matches(selector: Record<string, string>, labels: Record<string, string>): boolean {
  return Object.entries(selector).every(([k, v]) => labels[k] === v);
}

function sameNamespace(a: Obj, b: Obj): boolean {
  return (a.metadata?.namespace ?? "") === (b.metadata?.namespace ?? "");
}

/** Every violation in `manifests` (the objects of one chart), as readable sentences. */
export function chartInvariantViolations(manifests: readonly object[]): string[] {
  const objs = manifests as Obj[];
  const out: string[] = [];
  const workloads = objs.filter((o) => WORKLOAD_KINDS.includes(o.kind));
  const hpas = objs.filter((o) => o.kind === "HorizontalPodAutoscaler");
  const pdbs = objs.filter((o) => o.kind === "PodDisruptionBudget");
  const services = objs.filter((o) => o.kind === "Service");

  for (const w of workloads) {
    const spec = podSpec(w);
    const containers: Obj[] = spec.containers ?? [];
    if (containers.length === 0) out.push(`${id(w)} has no containers`);
    for (const c of containers) {
      const where = `${id(w)} container ${c.name}`;
      if (!c.readinessProbe) out.push(`${where} has no readinessProbe`);
      if (!c.livenessProbe) out.push(`${where} has no livenessProbe`);
      for (const kind of ["requests", "limits"]) {
        for (const res of ["cpu", "memory"]) {
          if (c.resources?.[kind]?.[res] === undefined) out.push(`${where} has no ${res} ${kind.slice(0, -1)}`);
        }
      }
      for (const e of (c.env ?? []) as Obj[]) {
        if (e.value !== undefined && e.value !== "" && CREDENTIAL_ENV.test(e.name) && !CREDENTIAL_POINTER.test(e.name)) {
          out.push(`${where} sets credential-like variable ${e.name} to a literal; reference a Secret instead`);
        }
      }
    }
    if (w.kind !== "DaemonSet" && (w.spec?.replicas ?? 1) > 1) {
      const covered = pdbs.some((p) => sameNamespace(p, w) && matches(p.spec?.selector?.matchLabels ?? { "": "none" }, podLabels(w)));
      if (!covered) out.push(`${id(w)} runs ${w.spec.replicas} replicas but no PodDisruptionBudget selects its pods`);
    }
  }

  for (const h of hpas) {
    const ref = h.spec?.scaleTargetRef ?? {};
    const target = workloads.find((w) => w.kind === ref.kind && w.metadata?.name === ref.name && sameNamespace(w, h));
    if (!target) {
      out.push(`${id(h)} targets ${ref.kind} ${ref.name}, which is not in the chart`);
      continue;
    }
    if (target.spec?.replicas !== undefined) {
      out.push(`${id(h)} targets ${id(target)}, which sets a fixed replicas (${target.spec.replicas}) the HPA would fight`);
    }
    const metrics: Obj[] = h.spec?.metrics ?? [];
    const resourcesUsed = new Set(metrics.filter((m) => m.type === "Resource").map((m) => m.resource?.name));
    if (metrics.length === 0) resourcesUsed.add("cpu");
    for (const c of (podSpec(target).containers ?? []) as Obj[]) {
      for (const res of resourcesUsed) {
        if (c.resources?.requests?.[res] === undefined) {
          out.push(`${id(h)} scales on ${res} but ${id(target)} container ${c.name} has no ${res} request`);
        }
      }
    }
    if ((h.spec?.maxReplicas ?? 1) > 1) {
      const covered = pdbs.some((p) => sameNamespace(p, target) && matches(p.spec?.selector?.matchLabels ?? { "": "none" }, podLabels(target)));
      if (!covered) out.push(`${id(target)} may scale to ${h.spec.maxReplicas} replicas but no PodDisruptionBudget selects its pods`);
    }
  }

  for (const s of services) {
    if (s.spec?.type === "ExternalName") continue;
    const selector: Record<string, string> = s.spec?.selector ?? {};
    if (Object.keys(selector).length === 0) {
      out.push(`${id(s)} has no selector`);
      continue;
    }
    const backing = workloads.filter((w) => sameNamespace(w, s) && matches(selector, podLabels(w)));
    if (backing.length === 0) {
      out.push(`${id(s)} selector ${JSON.stringify(selector)} matches no pod template in the chart`);
      continue;
    }
    for (const p of (s.spec?.ports ?? []) as Obj[]) {
      const target = p.targetPort ?? p.port;
      const served = backing.some((w) =>
        ((podSpec(w).containers ?? []) as Obj[]).some((c) =>
          ((c.ports ?? []) as Obj[]).some((cp) => (typeof target === "number" ? cp.containerPort === target : cp.name === target)),
        ),
      );
      if (!served) out.push(`${id(s)} port ${p.name ?? p.port} targets ${target}, which no selected container declares`);
    }
  }

  for (const i of objs.filter((o) => o.kind === "Ingress")) {
    const tls: Obj[] = i.spec?.tls ?? [];
    if (tls.length === 0) out.push(`${id(i)} has no TLS`);
    const tlsHosts = new Set(tls.flatMap((t) => t.hosts ?? []));
    for (const t of tls) if (!t.secretName) out.push(`${id(i)} has a TLS entry without secretName`);
    for (const r of (i.spec?.rules ?? []) as Obj[]) {
      if (!r.host) out.push(`${id(i)} has a rule without a host`);
      else if (!tlsHosts.has(r.host)) out.push(`${id(i)} serves ${r.host} without TLS`);
      for (const path of (r.http?.paths ?? []) as Obj[]) {
        const svc = path.backend?.service;
        const target = services.find((s) => s.metadata?.name === svc?.name && sameNamespace(s, i));
        if (!target) {
          out.push(`${id(i)} routes to Service ${svc?.name}, which is not in the chart`);
        } else if (!((target.spec?.ports ?? []) as Obj[]).some((p) => p.port === svc.port?.number || p.name === svc.port?.name)) {
          out.push(`${id(i)} routes to a port Service ${svc.name} does not have`);
        }
      }
    }
  }

  for (const s of objs.filter((o) => o.kind === "Secret")) {
    for (const field of ["data", "stringData"]) {
      const values = Object.values((s[field] ?? {}) as Record<string, unknown>).filter((v) => v !== "" && v !== null);
      if (values.length > 0) out.push(`${id(s)} carries ${field} values; secrets must be referenced, not synthesized`);
    }
  }
  return out;
}

/** Throws one error listing every violation in `manifests`. */
export function assertChartInvariants(manifests: readonly object[]): void {
  const violations = chartInvariantViolations(manifests);
  if (violations.length > 0) {
    throw new Error(`chart invariants violated (${violations.length}):\n  - ${violations.join("\n  - ")}`);
  }
}
