import { Chart, Testing } from "cdk8s";
import { Microservice } from "../../../constructs/microservice";
import { TlsIngress } from "../../../constructs/tls-ingress";
import { assertChartInvariants, chartInvariantViolations } from "./invariants";

type Obj = Record<string, any>; // eslint-disable-line @typescript-eslint/no-explicit-any

/** A chart that follows every rule: a web service behind TLS and an autoscaled worker. */
function goodManifests(): Obj[] {
  const chart = new Chart(Testing.app(), "good");
  const web = new Microservice(chart, "Web", { name: "web", namespace: "demo", image: "team/web:1.0", replicas: 2, callers: [] });
  new Microservice(chart, "Worker", {
    name: "worker",
    namespace: "demo",
    image: "team/worker:1.0",
    expose: false,
    callers: [],
    autoscaling: { maxReplicas: 4 },
  });
  new TlsIngress(chart, "Ingress", { name: "web", namespace: "demo", host: "web.example.com", service: web.service! });
  return Testing.synth(chart) as Obj[];
}

function find(objs: Obj[], kind: string, name: string): Obj {
  const o = objs.find((x) => x.kind === kind && x.metadata.name === name);
  if (!o) throw new Error(`no ${kind} ${name}`);
  return o;
}

function container(objs: Obj[], name: string): Obj {
  return find(objs, "Deployment", name).spec.template.spec.containers[0];
}

describe("assertChartInvariants", () => {
  test("accepts a chart that follows every rule", () => {
    expect(chartInvariantViolations(goodManifests())).toEqual([]);
    expect(() => assertChartInvariants(goodManifests())).not.toThrow();
  });

  const cases: [string, (objs: Obj[]) => void, RegExp][] = [
    ["missing readiness probe", (o) => delete container(o, "web").readinessProbe, /container web has no readinessProbe/],
    ["missing liveness probe", (o) => delete container(o, "worker").livenessProbe, /container worker has no livenessProbe/],
    ["missing memory limit", (o) => delete container(o, "web").resources.limits.memory, /web has no memory limit/],
    ["missing cpu request", (o) => delete container(o, "web").resources.requests.cpu, /web has no cpu request/],
    ["HPA target with fixed replicas", (o) => (find(o, "Deployment", "worker").spec.replicas = 3), /fixed replicas \(3\)/],
    ["HPA on CPU without CPU requests", (o) => delete container(o, "worker").resources.requests.cpu, /scales on cpu but .* no cpu request/],
    ["HPA targeting a missing workload", (o) => (find(o, "HorizontalPodAutoscaler", "worker").spec.scaleTargetRef.name = "gone"), /targets Deployment gone, which is not in the chart/],
    ["Service selecting nothing", (o) => (find(o, "Service", "web").spec.selector = { "app.kubernetes.io/name": "wbe" }), /matches no pod template/],
    ["Service targeting an undeclared port", (o) => (find(o, "Service", "web").spec.ports[0].targetPort = 9999), /targets 9999, which no selected container declares/],
    ["Ingress without TLS", (o) => delete find(o, "Ingress", "web").spec.tls, /Ingress demo\/web has no TLS/],
    ["Ingress host not covered by TLS", (o) => (find(o, "Ingress", "web").spec.rules[0].host = "other.example.com"), /serves other.example.com without TLS/],
    ["Ingress to a missing Service", (o) => (find(o, "Ingress", "web").spec.rules[0].http.paths[0].backend.service.name = "nope"), /routes to Service nope/],
    ["replicas without a PDB", (o) => o.splice(o.indexOf(find(o, "PodDisruptionBudget", "web")), 1), /runs 2 replicas but no PodDisruptionBudget/],
    ["Secret with data", (o) => o.push({ apiVersion: "v1", kind: "Secret", metadata: { name: "s", namespace: "demo" }, stringData: { password: "hunter2" } }), /Secret demo\/s carries stringData values/],
    ["credential as a literal env var", (o) => (container(o, "web").env = [{ name: "DB_PASSWORD", value: "hunter2" }]), /DB_PASSWORD to a literal/],
  ];
  test.each(cases)("reports %s", (_name, breakIt, message) => {
    const objs = goodManifests();
    breakIt(objs);
    const violations = chartInvariantViolations(objs);
    expect(violations.join("\n")).toMatch(message);
    expect(() => assertChartInvariants(objs)).toThrow(message);
  });

  test("a credential variable that only points at a file is fine", () => {
    const objs = goodManifests();
    container(objs, "web").env = [{ name: "TOKEN_FILE", value: "/var/run/secrets/token" }];
    expect(chartInvariantViolations(objs)).toEqual([]);
  });
});
