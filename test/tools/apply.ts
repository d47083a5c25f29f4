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
  /** `dry-run`, `dry-run warning`, `create` or `establish`. */
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
    // Accepted with a warning is a failure too: a workload whose pod template violates
    // its namespace's Pod Security level is stored, but its pods are never admitted.
    for (const warning of dry.warnings) {
      failures.push({ object: describeObject(obj), phase: "dry-run warning", message: warning, source });
    }
    const real = await client.create(obj, { dryRun: false });
    if (real.status !== 201 && real.status !== 200) {
      failures.push({ object: describeObject(obj), phase: "create", message: serverMessage(real), source });
      continue;
    }
    if (obj.kind === "CustomResourceDefinition" && obj.metadata.name) crdsPending.push(obj.metadata.name);
  }
  return failures;
}
