/**
 * Reachability computed from every chart's NetworkPolicies and pod labels (the
 * evaluator in test/unit/support/network-policy.ts): no pod reaches the instance
 * metadata service, every pod still reaches the rest of the network, and Gosty's
 * datastores take connections only from the pods listed for them.
 */
import { selectedCharts } from "../../../charts/registry";
import { synthCharts } from "../../../charts/synth";
import { defaultValues } from "../../../charts/values";
import { mayConnect, NetworkPolicy, PodRef } from "../support/network-policy";

type Obj = { kind: string; metadata: { name: string; namespace?: string }; spec?: { template?: { metadata?: { labels?: Record<string, string> }; spec?: { hostNetwork?: boolean } } } };

const values = defaultValues();
const objects = synthCharts(values, selectedCharts(values)).flatMap((c) => c.manifests as Obj[]);
const policies = objects.filter((o) => o.kind === "NetworkPolicy") as unknown as NetworkPolicy[];
const pods: (PodRef & { name: string })[] = objects
  .filter((o) => o.spec?.template?.metadata?.labels && !o.spec.template.spec?.hostNetwork)
  .map((o) => ({ name: `${o.metadata.namespace}/${o.metadata.name}`, namespace: o.metadata.namespace ?? "default", labels: o.spec!.template!.metadata!.labels! }));
const pod = (namespace: string, name: string) => {
  const p = pods.find((x) => x.name === `${namespace}/${name}`);
  if (!p) throw new Error(`no pod template ${namespace}/${name}`);
  return p;
};

describe("network reachability", () => {
  it("covers the pods of every chart, and every application namespace has the metadata policy", () => {
    const namespaces = [...new Set(pods.map((p) => p.namespace))].sort();
    expect(namespaces.length).toBeGreaterThan(5);
    const withPolicy = new Set(policies.filter((p) => p.metadata.name === "deny-instance-metadata").map((p) => p.metadata.namespace));
    expect(namespaces.filter((ns) => !withPolicy.has(ns))).toEqual([]);
  });

  it.each(pods.map((p) => [p.name, p] as const))("%s cannot reach the instance metadata service but reaches the rest", (_n, p) => {
    expect(mayConnect(policies, p, "169.254.169.254", 80)).toBe(false);
    expect(mayConnect(policies, p, "52.94.0.10", 443)).toBe(true);
    expect(mayConnect(policies, p, { namespace: "kube-system", labels: { "k8s-app": "kube-dns" } }, 53)).toBe(true);
  });

  it("Gosty's datastores: intended pairs allowed, an unlisted pair denied", () => {
    const api = pods.find((p) => p.namespace === "gosty" && p.labels["app.kubernetes.io/part-of"] === "gosty" && !/mongodb|rabbitmq|elasticsearch/.test(p.name))!;
    const mongodb = pod("gosty", "mongodb");
    expect(mayConnect(policies, api, mongodb, 27017)).toBe(true);
    const grafana = pod("grafana", "grafana");
    expect(mayConnect(policies, grafana, mongodb, 27017)).toBe(false);
    // The evaluator itself: without the policies everything is open.
    expect(mayConnect([], grafana, mongodb, 27017)).toBe(true);
  });
});
