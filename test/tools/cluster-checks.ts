/**
 * Checks on what the API server stored after the charts were applied: the links
 * between objects that no schema validates but that break a deployment silently
 * (a Service selecting no pod answers nothing; an HPA whose target is missing never
 * scales; a PVC naming an unknown StorageClass stays Pending forever).
 * Each check reads the objects back from the server (defaults applied) and returns
 * one line per problem.
 */
import { KubeClient, KubeObject, describeObject } from "./kube-client";

type Labels = Record<string, string>;

interface PodTemplateOwner {
  owner: KubeObject;
  labels: Labels;
}

const WORKLOADS: readonly (readonly [string, string])[] = [
  ["apps/v1", "Deployment"],
  ["apps/v1", "StatefulSet"],
  ["apps/v1", "DaemonSet"],
  ["apps/v1", "ReplicaSet"],
  ["batch/v1", "Job"],
  ["batch/v1", "CronJob"],
];

function podTemplateLabels(obj: KubeObject): Labels {
  const spec = obj.spec as Record<string, unknown> | undefined;
  const template =
    obj.kind === "CronJob"
      ? ((spec?.jobTemplate as { spec?: { template?: unknown } } | undefined)?.spec?.template as
          | { metadata?: { labels?: Labels } }
          | undefined)
      : (spec?.template as { metadata?: { labels?: Labels } } | undefined);
  return template?.metadata?.labels ?? {};
}

/** Pod templates of every workload, by namespace. */
export async function podTemplates(client: KubeClient): Promise<Map<string, PodTemplateOwner[]>> {
  const byNamespace = new Map<string, PodTemplateOwner[]>();
  for (const [apiVersion, kind] of WORKLOADS) {
    for (const owner of await client.list(apiVersion, kind)) {
      const ns = owner.metadata.namespace ?? "default";
      const list = byNamespace.get(ns) ?? [];
      list.push({ owner, labels: podTemplateLabels(owner) });
      byNamespace.set(ns, list);
    }
  }
  return byNamespace;
}

export function selects(selector: Labels, labels: Labels): boolean {
  const entries = Object.entries(selector);
  return entries.length > 0 && entries.every(([k, v]) => labels[k] === v);
}

interface LabelSelector {
  matchLabels?: Labels;
  matchExpressions?: { key: string; operator: string; values?: string[] }[];
}

/** Whether a (set-based) label selector matches `labels`. An empty selector matches everything. */
export function labelSelectorMatches(selector: LabelSelector, labels: Labels): boolean {
  const byLabels = Object.entries(selector.matchLabels ?? {}).every(([k, v]) => labels[k] === v);
  const byExpressions = (selector.matchExpressions ?? []).every((e) => {
    switch (e.operator) {
      case "In":
        return e.key in labels && (e.values ?? []).includes(labels[e.key]);
      case "NotIn":
        return !(e.key in labels) || !(e.values ?? []).includes(labels[e.key]);
      case "Exists":
        return e.key in labels;
      case "DoesNotExist":
        return !(e.key in labels);
      default:
        return false;
    }
  });
  return byLabels && byExpressions;
}

/** Every Service with a selector selects the pod template of a workload in its namespace. */
export async function servicesWithoutPods(client: KubeClient): Promise<string[]> {
  const templates = await podTemplates(client);
  const problems: string[] = [];
  for (const svc of await client.list("v1", "Service")) {
    const selector = (svc.spec as { selector?: Labels } | undefined)?.selector;
    if (!selector || Object.keys(selector).length === 0) continue; // headless/external or the built-in `kubernetes`
    const ns = svc.metadata.namespace ?? "default";
    if (!(templates.get(ns) ?? []).some((t) => selects(selector, t.labels))) {
      problems.push(`${describeObject(svc)}: selector ${JSON.stringify(selector)} matches no workload's pods in namespace ${ns}`);
    }
  }
  return problems;
}

/** Every PodDisruptionBudget selects the pods of some workload (one that selects nothing protects nothing). */
export async function disruptionBudgetsWithoutPods(client: KubeClient): Promise<string[]> {
  const templates = await podTemplates(client);
  const problems: string[] = [];
  for (const pdb of await client.list("policy/v1", "PodDisruptionBudget")) {
    const selector = (pdb.spec as { selector?: LabelSelector } | undefined)?.selector ?? {};
    const ns = pdb.metadata.namespace ?? "default";
    if (!(templates.get(ns) ?? []).some((t) => labelSelectorMatches(selector, t.labels))) {
      problems.push(`${describeObject(pdb)}: selector ${JSON.stringify(selector)} matches no workload's pods in namespace ${ns}`);
    }
  }
  return problems;
}

/** Every HorizontalPodAutoscaler's scaleTargetRef names an object that exists. */
export async function autoscalersWithoutTarget(client: KubeClient): Promise<string[]> {
  const problems: string[] = [];
  for (const hpa of await client.list("autoscaling/v2", "HorizontalPodAutoscaler")) {
    const ref = (hpa.spec as { scaleTargetRef: { apiVersion?: string; kind: string; name: string } }).scaleTargetRef;
    const apiVersion = ref.apiVersion ?? "v1";
    const ns = hpa.metadata.namespace;
    const target = client.knows(apiVersion, ref.kind) ? await client.get(apiVersion, ref.kind, ref.name, ns) : undefined;
    if (!target) {
      problems.push(`${describeObject(hpa)}: scaleTargetRef ${ref.kind} ${ns}/${ref.name} (${apiVersion}) does not exist`);
    }
  }
  return problems;
}

/** Every Ingress backend names a Service in its namespace and a port that Service has. */
export async function ingressesWithoutBackend(client: KubeClient): Promise<string[]> {
  type Backend = { service?: { name: string; port?: { number?: number; name?: string } } };
  const problems: string[] = [];
  for (const ing of await client.list("networking.k8s.io/v1", "Ingress")) {
    const spec = ing.spec as {
      defaultBackend?: Backend;
      rules?: { http?: { paths?: { backend: Backend }[] } }[];
    };
    const backends = [
      ...(spec.defaultBackend ? [spec.defaultBackend] : []),
      ...(spec.rules ?? []).flatMap((r) => (r.http?.paths ?? []).map((p) => p.backend)),
    ];
    for (const b of backends) {
      if (!b.service) continue;
      const ns = ing.metadata.namespace;
      const svc = await client.get("v1", "Service", b.service.name, ns);
      if (!svc) {
        problems.push(`${describeObject(ing)}: backend Service ${ns}/${b.service.name} does not exist`);
        continue;
      }
      const ports = (svc.spec as { ports?: { port: number; name?: string }[] }).ports ?? [];
      const want = b.service.port;
      if (want && !ports.some((p) => (want.number !== undefined ? p.port === want.number : p.name === want.name))) {
        problems.push(
          `${describeObject(ing)}: backend Service ${ns}/${b.service.name} has no port ${JSON.stringify(want)} ` +
            `(it has ${JSON.stringify(ports.map((p) => p.name ?? p.port))})`,
        );
      }
    }
  }
  return problems;
}

/**
 * Every PersistentVolumeClaim (and StatefulSet volumeClaimTemplate) names a StorageClass
 * in `allowed`. A claim without a class would use the cluster default; it is reported too,
 * because the platform's charts are meant to name the class explicitly.
 */
export async function claimsWithUnknownStorageClass(client: KubeClient, allowed: ReadonlySet<string>): Promise<string[]> {
  const problems: string[] = [];
  const check = (where: string, cls: string | undefined) => {
    if (cls === undefined) problems.push(`${where}: names no storageClassName (allowed: ${[...allowed].join(", ")})`);
    else if (!allowed.has(cls)) problems.push(`${where}: storageClassName ${JSON.stringify(cls)} is not one of ${[...allowed].join(", ")}`);
  };
  for (const pvc of await client.list("v1", "PersistentVolumeClaim")) {
    const spec = pvc.spec as { storageClassName?: string; volumeName?: string };
    // Class "" with a named volume is static binding to a PersistentVolume the
    // chart declares (e.g. an NFS export): no provisioner is involved.
    if (spec.storageClassName === "" && spec.volumeName) {
      if (!(await client.get("v1", "PersistentVolume", spec.volumeName))) {
        problems.push(`${describeObject(pvc)}: binds PersistentVolume ${spec.volumeName}, which does not exist`);
      }
      continue;
    }
    check(describeObject(pvc), spec.storageClassName);
  }
  for (const sts of await client.list("apps/v1", "StatefulSet")) {
    const templates =
      (sts.spec as { volumeClaimTemplates?: { metadata?: { name?: string }; spec?: { storageClassName?: string } }[] })
        .volumeClaimTemplates ?? [];
    for (const t of templates) {
      check(`${describeObject(sts)} volumeClaimTemplate ${t.metadata?.name}`, t.spec?.storageClassName);
    }
  }
  return problems;
}
