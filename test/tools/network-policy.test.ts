/**
 * The charts' NetworkPolicies on the real kube-apiserver: created (strict validation
 * and defaulting by the server), read back, and the reachability computed from what
 * the server stored (test/unit/support/network-policy.ts) with the pods' labels and
 * container ports. The synth is the default values with the optional pieces turned
 * on (Dask, Gosty's Elasticsearch and Kibana), so every component has its pods here.
 *
 * The intended matrix below is written out by hand from what each application does
 * (its config and env), not from the constructs: every listed pair must connect on
 * its port, and every other pair (any pod, the ingress controller, Prometheus or a
 * client outside, to any container port of any pod) must be refused.
 */
import * as fs from "node:fs";
import * as path from "node:path";
import { parse } from "yaml";
import { TestApiServer } from "./apiserver";
import { applyAll, SourcedObject } from "./apply";
import { KubeObject } from "./kube-client";
import { INGRESS_SELECTOR_LABELS } from "../../infra/cluster/addons/values";
import { selectedCharts } from "../../charts/registry";
import { synthCharts } from "../../charts/synth";
import { defaultValues, parseValues } from "../../charts/values";
import { mayConnect, NetworkPolicy, PodRef } from "../unit/support/network-policy";

jest.setTimeout(300_000);

type Template = { metadata?: { labels?: Record<string, string>; annotations?: Record<string, string> }; spec?: { hostNetwork?: boolean; containers?: { ports?: { containerPort: number }[] }[] } };
type Pod = PodRef & { name: string; ports: number[]; annotations: Record<string, string>; hostNetwork: boolean };

function podsOf(objects: KubeObject[]): Pod[] {
  const spec = (o: KubeObject) => o.spec as { template?: Template; jobTemplate?: { spec: { template: Template } } } | undefined;
  return objects.flatMap((o) => {
    const t = spec(o)?.template ?? spec(o)?.jobTemplate?.spec.template;
    if (!t?.metadata?.labels) return [];
    const ports = (t.spec?.containers ?? []).flatMap((c) => (c.ports ?? []).map((p) => p.containerPort));
    return [{ name: `${o.metadata.namespace}/${o.metadata.name}`, namespace: String(o.metadata.namespace), labels: t.metadata.labels, ports, annotations: t.metadata.annotations ?? {}, hostNetwork: t.spec?.hostNetwork ?? false }];
  });
}

const synth = (values: ReturnType<typeof defaultValues>) => synthCharts(values, selectedCharts(values)).flatMap((c) => c.manifests as KubeObject[]);
const values = parseValues({ dask: { enabled: true, notebook: { passwordSecret: { name: "notebook-password" } } }, gosty: { logging: { enabled: true } } }, "test values");
const objects = synth(values);
const loadTestJob = parse(fs.readFileSync(path.join(__dirname, "../../charts/gourmetgram/load-test-job.yaml"), "utf8")) as KubeObject;
loadTestJob.metadata.name = "gourmetgram-load-test";
const pods = podsOf([...objects, loadTestJob]);
const podNetwork = pods.filter((p) => !p.hostNetwork);

/** The F5 NGINX Ingress Controller's pods, as its Helm chart labels them with the platform's `controller.selectorLabels`. */
const INGRESS_CONTROLLER: Pod = {
  name: "nginx-ingress/controller",
  namespace: "nginx-ingress",
  labels: { "app.kubernetes.io/name": "nginx-ingress", "app.kubernetes.io/instance": "nginx-ingress" },
  ports: [],
  annotations: {},
  hostNetwork: false,
};
/** A client outside the cluster (or a node after kube-proxy's SNAT): no pod, no namespace any policy names. */
const OUTSIDE: Pod = { name: "outside", namespace: "(outside)", labels: {}, ip: "203.0.113.7", ports: [], annotations: {}, hostNetwork: false };
/** A Dask worker (and its nanny) listens on ports chosen at start; one of them. */
const DASK_EPHEMERAL_PORT = 40123;

/** Who may call whom, on which port of the called pod: [caller, called, port]. */
const INTENDED: readonly [string, string, number][] = [
  // The ingress controller to the Services the Ingresses route to.
  ["nginx-ingress/controller", "object-detection/polybot", 8080],
  ["nginx-ingress/controller", "grafana/grafana", 3000],
  ["nginx-ingress/controller", "gourmetgram/gourmetgram", 8000],
  ["nginx-ingress/controller", "gosty/gosty-apiserver", 8000],
  ["nginx-ingress/controller", "dask/dask-scheduler", 8787],
  ["nginx-ingress/controller", "dask/notebook", 8888],
  // Prometheus to every scrape target on the pod network (node-exporter is on the host's).
  ["monitoring/prometheus", "object-detection/polybot", 8080],
  ["monitoring/prometheus", "object-detection/yolo5", 8080],
  ["monitoring/prometheus", "object-detection/metering", 8080],
  ["monitoring/prometheus", "object-detection/model-analyzer", 8080],
  ["monitoring/prometheus", "monitoring/kube-state-metrics", 8080],
  ["monitoring/prometheus", "dlstreamer/haproxy", 8404],
  ["monitoring/prometheus", "gosty/rabbitmq", 15692],
  // Grafana's datasource.
  ["grafana/grafana", "monitoring/prometheus", 9090],
  // DL Streamer: HAProxy and the status Job to the pipeline servers, which publish to Mosquitto.
  ["dlstreamer/haproxy", "dlstreamer/pipeline-server", 8080],
  ["dlstreamer/pipeline-status", "dlstreamer/pipeline-server", 8080],
  ["dlstreamer/pipeline-server", "dlstreamer/mosquitto", 1884],
  // Node ports (OPEN_TO_ANY_SOURCE below): a client outside.
  ["outside", "dlstreamer/haproxy", 8080],
  ["outside", "dlstreamer/mosquitto", 1883],
  // Gosty.
  ["gosty/gosty-apiserver", "gosty/rabbitmq", 5672],
  ["gosty/gosty-apiserver", "gosty/mongodb", 27017],
  ["gosty/gosty-apiserver", "gosty/gosty-fileserver", 8001],
  ["gosty/gosty-apiserver", "gosty/gosty-worker", 8088],
  ["gosty/gosty-worker", "gosty/rabbitmq", 5672],
  ["gosty/gosty-worker", "gosty/mongodb", 27017],
  ["gosty/gosty-worker", "gosty/gosty-fileserver", 8001],
  ["gosty/gosty-worker", "gosty/gosty-apiserver", 8000],
  ["gosty/rabbitmq", "gosty/rabbitmq", 4369],
  ["gosty/rabbitmq", "gosty/rabbitmq", 25672],
  ["gosty/kibana", "gosty/elasticsearch", 9200],
  ["gosty/kibana-system-password", "gosty/elasticsearch", 9200],
  ["logging/fluentd", "gosty/elasticsearch", 9200],
  // Dask: notebook -> scheduler -> workers, workers -> scheduler, workers <-> workers.
  ["dask/notebook", "dask/dask-scheduler", 8786],
  ["dask/dask-worker", "dask/dask-scheduler", 8786],
  ["dask/dask-scheduler", "dask/dask-worker", 8789],
  ["dask/dask-scheduler", "dask/dask-worker", DASK_EPHEMERAL_PORT],
  ["dask/dask-worker", "dask/dask-worker", 8789],
  ["dask/dask-worker", "dask/dask-worker", DASK_EPHEMERAL_PORT],
  // GourmetGram's load test Job calls the Service from inside.
  ["gourmetgram/gourmetgram-load-test", "gourmetgram/gourmetgram", 8000],
];

/**
 * Ports published on a node port: after kube-proxy the source is a client or a node,
 * which no policy can name, so they are open to every source (pods included): HAProxy's
 * pipeline port and Mosquitto's password-protected listener.
 */
const OPEN_TO_ANY_SOURCE: readonly [string, number][] = [
  ["dlstreamer/haproxy", 8080],
  ["dlstreamer/mosquitto", 1883],
];

describe("NetworkPolicies on the real kube-apiserver", () => {
  let server: TestApiServer;
  let stored: NetworkPolicy[];
  const byName = (n: string): Pod => {
    const found = [INGRESS_CONTROLLER, OUTSIDE, ...pods].find((p) => p.name === n);
    if (!found) throw new Error(`no pod ${n}`);
    return found;
  };

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
    expect(declared.length).toBeGreaterThan(20);
  });

  test("the synth covers every pod of the default values, and the matrix names only pods that exist", () => {
    const defaults = podsOf(synth(defaultValues())).map((p) => p.name);
    expect(defaults.filter((n) => !pods.some((p) => p.name === n))).toEqual([]);
    for (const [from, to] of INTENDED) expect([byName(from).name, byName(to).name]).toEqual([from, to]);
    // The controller labels written above are the ones the platform installs it with.
    expect(INGRESS_SELECTOR_LABELS).toEqual(INGRESS_CONTROLLER.labels);
  });

  test("every application namespace denies all ingress by default", () => {
    const namespaces = objects.filter((o) => o.kind === "Namespace").map((o) => o.metadata.name);
    expect(namespaces.length).toBeGreaterThan(7);
    for (const ns of namespaces) {
      const deny = stored.filter((p) => p.metadata.namespace === ns && p.metadata.name === "default-deny-ingress");
      expect([ns, deny.map((p) => p.spec)]).toEqual([ns, [{ podSelector: {}, policyTypes: ["Ingress"] }]]);
    }
  });

  test.each(INTENDED.map(([from, to, port]) => [from, to, port] as const))("%s reaches %s on %i", (from, to, port) => {
    expect(mayConnect(stored, byName(from), byName(to), port)).toBe(true);
  });

  test("every pair not in the matrix is refused, in every namespace", () => {
    const intended = new Set(INTENDED.map(([f, t, p]) => `${f} -> ${t}:${p}`));
    const open = new Set(OPEN_TO_ANY_SOURCE.map(([t, p]) => `${t}:${p}`));
    const sources = [INGRESS_CONTROLLER, OUTSIDE, ...podNetwork];
    const unexpected: string[] = [];
    const deniedPerNamespace = new Map<string, number>();
    for (const to of podNetwork) {
      const ports = [...new Set([...to.ports, ...(to.name === "dask/dask-worker" ? [DASK_EPHEMERAL_PORT] : [])])];
      for (const from of sources) {
        for (const port of ports) {
          const pair = `${from.name} -> ${to.name}:${port}`;
          if (intended.has(pair) || open.has(`${to.name}:${port}`)) continue;
          if (mayConnect(stored, from, to, port)) unexpected.push(pair);
          else deniedPerNamespace.set(to.namespace, (deniedPerNamespace.get(to.namespace) ?? 0) + 1);
        }
      }
    }
    expect(unexpected).toEqual([]);
    const namespaces = [...new Set(podNetwork.map((p) => p.namespace))].sort();
    expect(namespaces.filter((ns) => !(deniedPerNamespace.get(ns)! > 0))).toEqual([]);
    // The evaluator itself: without the policies the same pairs would be open.
    expect(mayConnect([], byName("grafana/grafana"), byName("gosty/mongodb"), 27017)).toBe(true);
    expect(mayConnect(stored, byName("grafana/grafana"), byName("gosty/mongodb"), 27017)).toBe(false);
  });

  test("Prometheus reaches every target that asks to be scraped, and node-exporter at the node's address", () => {
    const prometheus = byName("monitoring/prometheus");
    const annotated = podNetwork.filter((p) => p.annotations["prometheus.io/scrape"] === "true");
    expect(annotated.length).toBeGreaterThan(5);
    const refused = annotated.filter((p) => !mayConnect(stored, prometheus, p, Number(p.annotations["prometheus.io/port"]))).map((p) => p.name);
    expect(refused).toEqual([]);
    // Host network: no policy applies on the node's side; Prometheus's egress is open.
    expect(pods.find((p) => p.name === "monitoring/node-exporter")?.hostNetwork).toBe(true);
    expect(mayConnect(stored, prometheus, "10.0.1.20", 9100)).toBe(true);
  });

  test("no pod reaches the instance metadata service; the rest of the network stays reachable", () => {
    const blocked = podNetwork.filter((p) => mayConnect(stored, p, "169.254.169.254", 80)).map((p) => p.name);
    expect(blocked).toEqual([]);
    const cutOff = podNetwork.filter((p) => !mayConnect(stored, p, "52.94.0.10", 443)).map((p) => p.name);
    expect(cutOff).toEqual([]);
  });
});
