/**
 * The charts' NetworkPolicies on the real kube-apiserver: created (strict validation
 * and defaulting by the server), read back, and the reachability computed from what
 * the server stored (test/unit/support/network-policy.ts) with the pods' labels: no
 * pod reaches the instance metadata service, the rest of the network stays reachable,
 * and Gosty's datastores take connections only from the pods listed for them.
 */
import { TestApiServer } from "./apiserver";
import { applyAll, SourcedObject } from "./apply";
import { KubeObject } from "./kube-client";
import { selectedCharts } from "../../charts/registry";
import { synthCharts } from "../../charts/synth";
import { defaultValues } from "../../charts/values";
import { mayConnect, NetworkPolicy, PodRef } from "../unit/support/network-policy";

jest.setTimeout(300_000);

const values = defaultValues();
const objects = synthCharts(values, selectedCharts(values)).flatMap((c) => c.manifests as KubeObject[]);
type Template = { metadata?: { labels?: Record<string, string> }; spec?: { hostNetwork?: boolean } };
const pods: (PodRef & { name: string })[] = objects
  .map((o) => ({ o, t: (o.spec as { template?: Template } | undefined)?.template }))
  .filter(({ t }) => t?.metadata?.labels && !t.spec?.hostNetwork)
  .map(({ o, t }) => ({ name: `${o.metadata.namespace}/${o.metadata.name}`, namespace: String(o.metadata.namespace), labels: t!.metadata!.labels! }));

describe("NetworkPolicies on the real kube-apiserver", () => {
  let server: TestApiServer;
  let stored: NetworkPolicy[];

  beforeAll(async () => {
    server = await TestApiServer.start();
    const items: SourcedObject[] = objects
      .filter((o) => o.kind === "Namespace" || o.kind === "NetworkPolicy")
      .map((object) => ({ object, source: `${object.kind} ${object.metadata.namespace ?? ""}/${object.metadata.name}` }));
    const failures = await applyAll(server.client, items);
    if (failures.length > 0) throw new Error(JSON.stringify(failures, null, 2));
    const res = await server.client.request("GET", "/apis/networking.k8s.io/v1/networkpolicies");
    stored = (JSON.parse(res.body) as { items: NetworkPolicy[] }).items;
  });
  afterAll(async () => {
    await server?.stop();
  });

  test("the server stored every policy the charts declare", () => {
    const declared = objects.filter((o) => o.kind === "NetworkPolicy").map((o) => `${o.metadata.namespace}/${o.metadata.name}`).sort();
    expect(stored.map((p) => `${p.metadata.namespace}/${p.metadata.name}`).sort()).toEqual(declared);
    expect(declared.length).toBeGreaterThan(5);
  });

  test("no pod reaches the instance metadata service; the rest of the network stays reachable", () => {
    const blocked = pods.filter((p) => mayConnect(stored, p, "169.254.169.254", 80)).map((p) => p.name);
    expect(blocked).toEqual([]);
    const cutOff = pods.filter((p) => !mayConnect(stored, p, "52.94.0.10", 443)).map((p) => p.name);
    expect(cutOff).toEqual([]);
  });

  test("Gosty's datastores: an intended pair is allowed, an unlisted pair denied", () => {
    const byName = (n: string) => pods.find((p) => p.name === n)!;
    expect(mayConnect(stored, byName("gosty/gosty-apiserver"), byName("gosty/mongodb"), 27017)).toBe(true);
    expect(mayConnect(stored, byName("grafana/grafana"), byName("gosty/mongodb"), 27017)).toBe(false);
  });
});
