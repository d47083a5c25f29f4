import { ApiObject, JsonPatch } from "cdk8s";
import * as kplus from "cdk8s-plus-28";

/** What the scheduler does when a pod cannot go to a node with fewer of its peers. */
export type SpreadPolicy = "DoNotSchedule" | "ScheduleAnyway";

/**
 * Spreads the pods of a Deployment over nodes: at most one more pod on any
 * node than on the emptiest one (`maxSkew: 1` on `kubernetes.io/hostname`).
 * Cordoned and tainted nodes (being drained or removed) do not count as
 * places to spread to (`nodeTaintsPolicy: Honor`), so a drain never leaves
 * the replacement pod Pending because of the node it left.
 *
 * `DoNotSchedule` keeps a pod Pending rather than double up (which also makes
 * the cluster autoscaler add a node); `ScheduleAnyway` only prefers spreading.
 * cdk8s-plus-28 has no typed field for topology spread constraints; the
 * patch uses the Kubernetes 1.28 schema, which its serializer keeps.
 */
export function spreadOverNodes(deployment: kplus.Deployment, podLabels: Readonly<Record<string, string>>, policy: SpreadPolicy): void {
  if (Object.keys(podLabels).length === 0) throw new Error("spreadOverNodes: podLabels: got none; allowed: the labels that select the Deployment's pods");
  if (policy !== "DoNotSchedule" && policy !== "ScheduleAnyway") {
    throw new Error(`spreadOverNodes: policy: got ${JSON.stringify(policy)}; allowed: DoNotSchedule or ScheduleAnyway`);
  }
  ApiObject.of(deployment).addJsonPatch(
    JsonPatch.add("/spec/template/spec/topologySpreadConstraints", [
      {
        maxSkew: 1,
        topologyKey: "kubernetes.io/hostname",
        whenUnsatisfiable: policy,
        labelSelector: { matchLabels: { ...podLabels } },
        nodeTaintsPolicy: "Honor",
      },
    ]),
  );
}
