/**
 * Applies manifests to a real API server the way a deployment would meet them:
 * in dependency order, each object first as a server-side dry-run and then for real,
 * custom resources only once their CustomResourceDefinition is Established.
 * Every rejection is collected with the object it concerns and the server's message.
 */
import { KubeClient, KubeObject, describeObject, serverMessage } from "./kube-client";

/** Apply order by kind; kinds not listed (custom resources) go last. */
const KIND_ORDER: readonly string[][] = [
  ["CustomResourceDefinition"],
  ["Namespace"],
  ["PriorityClass", "StorageClass", "IngressClass", "RuntimeClass"],
  ["ServiceAccount", "ResourceQuota", "LimitRange"],
  ["ClusterRole", "Role"],
  ["ClusterRoleBinding", "RoleBinding"],
  ["ConfigMap", "Secret"],
  ["PersistentVolume", "PersistentVolumeClaim"],
  ["NetworkPolicy"],
  ["Deployment", "StatefulSet", "DaemonSet", "ReplicaSet", "Job", "CronJob", "Pod"],
  ["Service", "PodDisruptionBudget"],
  ["HorizontalPodAutoscaler", "Ingress"],
  // Webhooks last: once registered they intercept later requests.
  ["ValidatingAdmissionPolicy", "ValidatingAdmissionPolicyBinding", "MutatingWebhookConfiguration", "ValidatingWebhookConfiguration"],
];

export function applyRank(obj: KubeObject): number {
  const i = KIND_ORDER.findIndex((kinds) => kinds.includes(obj.kind));
  return i === -1 ? KIND_ORDER.length : i;
}

/** Stable sort into apply order (objects of one rank keep their manifest order). */
export function inApplyOrder(objects: readonly KubeObject[]): KubeObject[] {
  return objects
    .map((obj, index) => ({ obj, index, rank: applyRank(obj) }))
    .sort((a, b) => a.rank - b.rank || a.index - b.index)
    .map((x) => x.obj);
}

export interface ApplyFailure {
  /** `Kind namespace/name (apiVersion)`. */
  object: string;
  /** `dry-run`, `dry-run warning`, `create`, `establish` or `pod admission ...`. */
  phase: string;
  /** The server's message. */
  message: string;
  /** Where the object came from, e.g. the manifest file. */
  source?: string;
}

export function formatFailures(failures: readonly ApplyFailure[]): string {
  return failures
    .map((f) => `${f.object}${f.source ? ` from ${f.source}` : ""}: ${f.phase} rejected: ${f.message}`)
    .join("\n");
}

export interface SourcedObject {
  object: KubeObject;
  /** Where it came from, named in failures. */
  source: string;
}

async function waitEstablished(client: KubeClient, name: string, timeoutMs = 30_000): Promise<string | undefined> {
  const deadline = Date.now() + timeoutMs;
  for (;;) {
    const crd = await client.get("apiextensions.k8s.io/v1", "CustomResourceDefinition", name);
    const conditions = ((crd?.status as { conditions?: { type: string; status: string; message?: string }[] })
      ?.conditions ?? []);
    if (conditions.some((c) => c.type === "Established" && c.status === "True")) return undefined;
    if (Date.now() > deadline) {
      return `not Established after ${timeoutMs / 1000}s: ${JSON.stringify(conditions)}`;
    }
    await new Promise((r) => setTimeout(r, 200));
  }
}

/**
 * Applies `items` in dependency order. Returns every rejection; an empty list means the
 * server accepted (and stored) every object.
 */
export async function applyAll(client: KubeClient, items: readonly SourcedObject[]): Promise<ApplyFailure[]> {
  const failures: ApplyFailure[] = [];
  const order = inApplyOrder(items.map((i) => i.object));
  const sourceOf = new Map(items.map((i) => [i.object, i.source]));
  await client.discover();
  let crdsPending: string[] = [];

  for (const obj of order) {
    const source = sourceOf.get(obj);
    if (crdsPending.length > 0 && obj.kind !== "CustomResourceDefinition") {
      for (const name of crdsPending) {
        const problem = await waitEstablished(client, name);
        if (problem) failures.push({ object: `CustomResourceDefinition ${name}`, phase: "establish", message: problem });
      }
      crdsPending = [];
      await client.discover();
    }
    if (!client.knows(obj.apiVersion, obj.kind)) {
      failures.push({
        object: describeObject(obj),
        phase: "dry-run",
        message: `the API server serves no ${obj.kind} in ${obj.apiVersion} (missing CRD or removed API version)`,
        source,
      });
      continue;
    }
    const dry = await client.create(obj, { dryRun: true });
    if (dry.status !== 201 && dry.status !== 200) {
      failures.push({ object: describeObject(obj), phase: "dry-run", message: serverMessage(dry), source });
      continue;
    }
    // Accepted with a warning is a failure too (deprecated APIs and the like). Pod Security
    // warnings are left to the pod check below: they come from the namespace's `warn`
    // level, which may be stricter than the `enforce` level that decides.
    for (const warning of dry.warnings.filter((w) => !w.startsWith("would violate PodSecurity"))) {
      failures.push({ object: describeObject(obj), phase: "dry-run warning", message: warning, source });
    }
    const real = await client.create(obj, { dryRun: false });
    if (real.status !== 201 && real.status !== 200) {
      failures.push({ object: describeObject(obj), phase: "create", message: serverMessage(real), source });
      continue;
    }
    if (obj.kind === "CustomResourceDefinition" && obj.metadata.name) crdsPending.push(obj.metadata.name);
    if (obj.kind === "Namespace" && obj.metadata.name) await createDefaultServiceAccount(client, obj.metadata.name);
    const pod = podFromTemplate(obj);
    if (pod) {
      // A workload is stored whatever its pod template says; the pods are judged when the
      // controller creates them. Dry-run one now so Pod Security (the namespace's enforce
      // level) and the rest of pod admission judge the template as they will on the cluster.
      const res = await client.create(pod, { dryRun: true });
      if (res.status !== 201 && res.status !== 200) {
        failures.push({ object: describeObject(obj), phase: "pod admission (dry-run of its pod template)", message: serverMessage(res), source });
      }
    }
  }
  return failures;
}

/** Kinds whose objects carry a pod template, with the path to it. */
const POD_TEMPLATE_PATHS: Readonly<Record<string, readonly string[]>> = {
  Deployment: ["spec", "template"],
  StatefulSet: ["spec", "template"],
  DaemonSet: ["spec", "template"],
  ReplicaSet: ["spec", "template"],
  Job: ["spec", "template"],
  CronJob: ["spec", "jobTemplate", "spec", "template"],
};

/** The Pod a workload's controller would create, or undefined for other kinds. */
export function podFromTemplate(obj: KubeObject): KubeObject | undefined {
  const p = POD_TEMPLATE_PATHS[obj.kind];
  if (!p || !obj.apiVersion.match(/^(apps|batch)\/v1$/)) return undefined;
  let node: unknown = obj;
  for (const key of p) node = (node as Record<string, unknown> | undefined)?.[key];
  const template = node as { metadata?: KubeObject["metadata"]; spec?: unknown } | undefined;
  if (!template?.spec) return undefined;
  let spec = template.spec as { volumes?: { name: string }[] };
  if (obj.kind === "StatefulSet") {
    // The StatefulSet controller adds one volume per claim template, bound to the pod's claim.
    const claims = ((obj.spec as { volumeClaimTemplates?: { metadata?: { name?: string } }[] }).volumeClaimTemplates ?? [])
      .map((t) => t.metadata?.name ?? "")
      .filter((name) => name !== "" && !(spec.volumes ?? []).some((v) => v.name === name));
    spec = {
      ...spec,
      volumes: [
        ...(spec.volumes ?? []),
        ...claims.map((name) => ({ name, persistentVolumeClaim: { claimName: `${name}-${obj.metadata.name}-0` } })),
      ],
    };
  }
  return {
    apiVersion: "v1",
    kind: "Pod",
    metadata: { ...(template.metadata ?? {}), name: `${obj.metadata.name}-template-check`, namespace: obj.metadata.namespace ?? "default" },
    spec,
  };
}

/**
 * What the controller manager's service account controller does for every namespace:
 * pods that name no service account use `default`, and admission requires it to exist.
 */
async function createDefaultServiceAccount(client: KubeClient, namespace: string): Promise<void> {
  const res = await client.create(
    { apiVersion: "v1", kind: "ServiceAccount", metadata: { name: "default", namespace } },
    { dryRun: false },
  );
  if (res.status !== 201 && res.status !== 409) {
    throw new Error(`creating ServiceAccount ${namespace}/default: ${serverMessage(res)}`);
  }
}
