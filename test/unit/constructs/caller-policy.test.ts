import { Chart, Duration, Testing } from "cdk8s";
import * as kplus from "cdk8s-plus-28";
import { AppNamespace } from "../../../constructs/app-namespace";
import { Caller, CallerPolicy, Peer } from "../../../constructs/caller-policy";
import { HostDaemonSet, HostDaemonSetProps } from "../../../constructs/host-daemon-set";
import { Microservice, MicroserviceProps } from "../../../constructs/microservice";
import { NodePortService } from "../../../constructs/node-port-service";
import { StatefulService, StatefulServiceProps } from "../../../constructs/stateful-service";
import { mayConnect, NetworkPolicy } from "../support/network-policy";

type Obj = Record<string, any>; // eslint-disable-line @typescript-eslint/no-explicit-any

const chart = () => new Chart(Testing.app(), "c");
const policies = (c: Chart) => (Testing.synth(c) as Obj[]).filter((o) => o.kind === "NetworkPolicy");
const named = (objs: Obj[], name: string) => {
  const found = objs.filter((o) => o.metadata.name === name);
  expect(found).toHaveLength(1);
  return found[0];
};
const tcp = (...ports: number[]) => ports.map((port) => ({ protocol: "TCP", port }));
const ns = (name: string) => ({ matchLabels: { "kubernetes.io/metadata.name": name } });
const PROMETHEUS = { namespaceSelector: ns("monitoring"), podSelector: { matchLabels: { "app.kubernetes.io/name": "prometheus" } } };

describe("Peer and CallerPolicy", () => {
  test("one rule per caller: its peer and its ports; `all` names no port, anywhere names no peer", () => {
    const c = chart();
    const policy = new CallerPolicy(c, "P", {
      name: "db-callers",
      namespace: "apps",
      podSelector: { "app.kubernetes.io/name": "db" },
      callers: [
        { peer: Peer.pods({ "app.kubernetes.io/name": "api" }), ports: [5432, 5432] },
        { peer: Peer.podsIn("batch", { "app.kubernetes.io/name": "report" }), ports: [5432] },
        { peer: Peer.namespace("backup"), ports: "all" },
        { peer: Peer.prometheus(), ports: [9187] },
      ],
    });
    policy.allow({ peer: Peer.anywhere(), ports: [5433] }, { peer: Peer.ingressController(), ports: [8080] });
    expect(policies(c)).toEqual([
      {
        apiVersion: "networking.k8s.io/v1",
        kind: "NetworkPolicy",
        metadata: { name: "db-callers", namespace: "apps" },
        spec: {
          podSelector: { matchLabels: { "app.kubernetes.io/name": "db" } },
          policyTypes: ["Ingress"],
          ingress: [
            { from: [{ podSelector: { matchLabels: { "app.kubernetes.io/name": "api" } } }], ports: tcp(5432) },
            { from: [{ namespaceSelector: ns("batch"), podSelector: { matchLabels: { "app.kubernetes.io/name": "report" } } }], ports: tcp(5432) },
            { from: [{ namespaceSelector: ns("backup") }] },
            { from: [PROMETHEUS], ports: tcp(9187) },
            { ports: tcp(5433) },
            {
              from: [
                {
                  namespaceSelector: ns("nginx-ingress"),
                  podSelector: { matchLabels: { "app.kubernetes.io/name": "nginx-ingress", "app.kubernetes.io/instance": "nginx-ingress" } },
                },
              ],
              ports: tcp(8080),
            },
          ],
        },
      },
    ]);
  });

  test("an empty caller list admits nobody (the pods are isolated)", () => {
    const c = chart();
    new CallerPolicy(c, "P", { name: "worker-callers", namespace: "apps", podSelector: { app: "worker" }, callers: [] });
    const [policy] = policies(c);
    expect(policy.spec.ingress).toEqual([]);
    const worker = { namespace: "apps", labels: { app: "worker" } };
    expect(mayConnect([policy as NetworkPolicy], { namespace: "apps", labels: { app: "api" } }, worker, 8080)).toBe(false);
  });

  test.each([
    [{ peer: Peer.pods({ a: "b" }), ports: [] }, /ports: got \[\]; allowed: at least one port, or "all"/],
    [{ peer: Peer.pods({ a: "b" }), ports: [0] }, /caller pods a=b: ports: got 0; allowed: an integer from 1 to 65535/],
    [{ peer: Peer.pods({ a: "b" }), ports: [70000] }, /got 70000/],
    [{ peer: { description: "x" }, ports: [80] }, /allowed: \{ peer: Peer.pods\(...\) or another Peer factory, ports \}/],
  ] as [Caller, RegExp][])("rejects the caller %p", (caller, message) => {
    expect(() => new CallerPolicy(chart(), "P", { name: "p", podSelector: { a: "b" }, callers: [caller] })).toThrow(message);
  });

  test("rejects bad peers and selectors", () => {
    expect(() => Peer.pods({})).toThrow(/Peer.pods labels: got \{\}; allowed: at least one label/);
    expect(() => Peer.namespace("Monitoring")).toThrow(/Peer.namespace: got "Monitoring"/);
    expect(() => Peer.podsIn("batch", { "bad key!": "x" })).toThrow(/Peer.podsIn labels/);
    expect(() => new CallerPolicy(chart(), "P", { name: "p", podSelector: {}, callers: [] })).toThrow(/podSelector: got \{\}/);
    const omitted = { name: "p", podSelector: { a: "b" } } as unknown as ConstructorParameters<typeof CallerPolicy>[2];
    expect(() => new CallerPolicy(chart(), "P", omitted)).toThrow(/callers: got nothing; allowed: a list of callers/);
  });
});

describe("the component constructs declare who may call them", () => {
  const MS: MicroserviceProps = { name: "api", namespace: "apps", image: "team/api:1.0", callers: [] };

  test("Microservice: `<name>-callers` selects its pods and admits the callers; metrics admit Prometheus by themselves", () => {
    const c = chart();
    new Microservice(c, "M", { ...MS, callers: [{ peer: Peer.pods({ "app.kubernetes.io/name": "web" }), ports: [8080] }], metrics: { port: 9102 } });
    const policy = named(policies(c), "api-callers");
    expect(policy.spec.podSelector).toEqual({ matchLabels: { "app.kubernetes.io/name": "api" } });
    expect(policy.spec.ingress).toEqual([
      { from: [{ podSelector: { matchLabels: { "app.kubernetes.io/name": "web" } } }], ports: tcp(8080) },
      { from: [PROMETHEUS], ports: tcp(9102) },
    ]);
    // Without a metrics port of its own, Prometheus scrapes the HTTP port.
    const d = chart();
    new Microservice(d, "M", { ...MS, metrics: {} });
    expect(named(policies(d), "api-callers").spec.ingress).toEqual([{ from: [PROMETHEUS], ports: tcp(8080) }]);
  });

  test("Microservice, StatefulService and HostDaemonSet fail when the callers are left out", () => {
    const omit = <T extends { callers: unknown }>(props: T) => ({ ...props, callers: undefined }) as unknown as T;
    expect(() => new Microservice(chart(), "M", omit(MS))).toThrow(/Microservice "api": callers: got undefined; allowed: the pods' callers/);
    expect(() => new StatefulService(chart(), "S", omit(STATEFUL))).toThrow(/StatefulService "db": callers: got undefined/);
    expect(() => new HostDaemonSet(chart(), "H", omit(DAEMON))).toThrow(/HostDaemonSet "agent": callers: got undefined/);
  });

  test("StatefulService: callers, and Prometheus on the metrics port with the scrape annotations", () => {
    const c = chart();
    new StatefulService(c, "S", { ...STATEFUL, callers: [{ peer: Peer.pods({ "app.kubernetes.io/name": "api" }), ports: [5432] }], metrics: { port: 9187 } });
    const objs = Testing.synth(c) as Obj[];
    expect(named(objs.filter((o) => o.kind === "NetworkPolicy"), "db-callers").spec.ingress).toEqual([
      { from: [{ podSelector: { matchLabels: { "app.kubernetes.io/name": "api" } } }], ports: tcp(5432) },
      { from: [PROMETHEUS], ports: tcp(9187) },
    ]);
    expect(objs.find((o) => o.kind === "StatefulSet")!.spec.template.metadata.annotations).toEqual({
      "prometheus.io/scrape": "true",
      "prometheus.io/port": "9187",
      "prometheus.io/path": "/metrics",
    });
    expect(() => new StatefulService(chart(), "S", { ...STATEFUL, metrics: { port: 9999 } })).toThrow(/metrics.port: got 9999; allowed: one of the ports \(5432, 9187\)/);
  });

  test("HostDaemonSet: a policy on the pod network; none, and no callers, on the host network", () => {
    const c = chart();
    new HostDaemonSet(c, "H", { ...DAEMON, callers: [{ peer: Peer.prometheus(), ports: [9100] }] });
    expect(named(policies(c), "agent-callers").spec.ingress).toEqual([{ from: [PROMETHEUS], ports: tcp(9100) }]);
    const host = chart();
    new HostDaemonSet(host, "H", { ...DAEMON, hostNetwork: true });
    expect(policies(host)).toEqual([]);
    expect(() => new HostDaemonSet(chart(), "H", { ...DAEMON, hostNetwork: true, callers: [{ peer: Peer.prometheus(), ports: [9100] }] })).toThrow(
      /callers: got 1 with hostNetwork; allowed: \[\] \(a host-network pod is outside NetworkPolicy/,
    );
  });

  test("NodePortService admits any source to the target ports (clients and nodes are no pods)", () => {
    const c = chart();
    new NodePortService(c, "N", { name: "mqtt", namespace: "apps", selector: { app: "broker" }, ports: [{ name: "mqtt", port: 1883, targetPort: 1884, nodePort: 31883 }] });
    expect(named(policies(c), "mqtt-node-port").spec).toEqual({ podSelector: { matchLabels: { app: "broker" } }, policyTypes: ["Ingress"], ingress: [{ ports: tcp(1884) }] });
  });

  test("with the namespace's default deny, a declared caller gets in on its port only, an undeclared one not at all", () => {
    const c = chart();
    new AppNamespace(c, "Ns", { name: "apps" });
    new Microservice(c, "M", { ...MS, callers: [{ peer: Peer.pods({ "app.kubernetes.io/name": "web" }), ports: [8080] }] });
    const all = policies(c) as NetworkPolicy[];
    const api = { namespace: "apps", labels: { "app.kubernetes.io/name": "api" } };
    expect(mayConnect(all, { namespace: "apps", labels: { "app.kubernetes.io/name": "web" } }, api, 8080)).toBe(true);
    expect(mayConnect(all, { namespace: "apps", labels: { "app.kubernetes.io/name": "web" } }, api, 9090)).toBe(false);
    expect(mayConnect(all, { namespace: "apps", labels: { "app.kubernetes.io/name": "batch" } }, api, 8080)).toBe(false);
    expect(mayConnect(all, { namespace: "other", labels: { "app.kubernetes.io/name": "web" } }, api, 8080)).toBe(false);
  });
});

const probe = kplus.Probe.fromTcpSocket({ port: 5432, periodSeconds: Duration.seconds(10) });
const STATEFUL: StatefulServiceProps = {
  name: "db",
  namespace: "apps",
  image: "postgres:17.6",
  ports: [
    { name: "pg", port: 5432 },
    { name: "metrics", port: 9187 },
  ],
  callers: [],
  volumeClaims: [{ name: "data", mountPath: "/var/lib/postgresql/data", size: "10Gi", storageClassName: "ebs-gp3" }],
  probes: { readiness: probe, liveness: probe },
  resources: { cpu: { request: "100m", limit: "1" }, memory: { request: "256Mi", limit: "512Mi" } },
};
const DAEMON: HostDaemonSetProps = {
  name: "agent",
  namespace: "node-agents",
  image: "team/agent:1.0",
  ports: [{ name: "metrics", port: 9100 }],
  callers: [],
  probes: { readiness: kplus.Probe.fromHttpGet("/", { port: 9100 }), liveness: kplus.Probe.fromHttpGet("/", { port: 9100 }) },
  resources: { cpu: { request: "50m", limit: "200m" }, memory: { request: "32Mi", limit: "64Mi" } },
};
