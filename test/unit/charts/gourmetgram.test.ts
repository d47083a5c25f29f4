import { Testing } from "cdk8s";
import { GOURMETGRAM_NAME, GourmetgramChart } from "../../../charts/gourmetgram/chart";
import { DEFAULT_GOURMETGRAM_IMAGE, GOURMETGRAM_NAMESPACE } from "../../../charts/gourmetgram/values";
import { parseValues } from "../../../charts/values";
import { ConfigError } from "../../../lib/validate";
import { assertChartInvariants } from "./invariants";

type Obj = Record<string, any>; // eslint-disable-line @typescript-eslint/no-explicit-any

function synth(gourmetgram: unknown = {}, global: unknown = {}): Obj[] {
  const chart = new GourmetgramChart(Testing.app(), "gg", { values: parseValues({ global, gourmetgram }) });
  return Testing.synth(chart) as Obj[];
}

const all = (objs: Obj[], kind: string) => objs.filter((o) => o.kind === kind);
const one = (objs: Obj[], kind: string, name: string): Obj => {
  const found = objs.filter((o) => o.kind === kind && o.metadata.name === name);
  expect(found).toHaveLength(1);
  return found[0];
};
const container = (objs: Obj[]) => one(objs, "Deployment", GOURMETGRAM_NAME).spec.template.spec.containers[0];

function parseError(gourmetgram: unknown): string {
  try {
    parseValues({ gourmetgram });
  } catch (e) {
    expect(e).toBeInstanceOf(ConfigError);
    return (e as Error).message;
  }
  throw new Error("expected the values to be rejected");
}

describe("GourmetgramChart", () => {
  const objs = synth();

  test("follows the chart invariants", () => {
    assertChartInvariants(objs);
  });

  test("lives in its own namespace", () => {
    expect(one(objs, "Namespace", GOURMETGRAM_NAMESPACE).metadata.labels["pod-security.kubernetes.io/enforce"]).toBe("restricted");
    for (const o of objs.filter((x) => x.kind !== "Namespace")) expect(o.metadata.namespace).toBe(GOURMETGRAM_NAMESPACE);
  });

  test("runs the configured image on port 8000", () => {
    const c = container(objs);
    expect(c.image).toBe(DEFAULT_GOURMETGRAM_IMAGE);
    expect(c.ports).toEqual([{ containerPort: 8000, name: "http" }]);
    expect(container(synth({ image: "ghcr.io/acme/gourmetgram:2.1.0" })).image).toBe("ghcr.io/acme/gourmetgram:2.1.0");
    expect(container(synth({ image: "acme/gourmetgram:2.1.0" }, { imageRegistry: "mirror.example.com" })).image).toBe(
      "mirror.example.com/acme/gourmetgram:2.1.0",
    );
  });

  test("is ready only after three good predictions on /test, checked every 5 s after 5 s", () => {
    const probe = container(objs).readinessProbe;
    expect(probe.httpGet).toEqual(expect.objectContaining({ path: "/test", port: 8000 }));
    expect(probe.successThreshold).toBe(3);
    expect(probe.periodSeconds).toBe(5);
    expect(probe.initialDelaySeconds).toBe(5);
  });

  test("has a liveness probe that does not run the model", () => {
    const probe = container(objs).livenessProbe;
    expect(probe.httpGet).toEqual(expect.objectContaining({ path: "/", port: 8000 }));
  });

  test("requests 0.3 CPU / 300Mi and is limited to 0.5 CPU / 500Mi", () => {
    const r = container(objs).resources;
    expect(r.requests).toEqual({ cpu: "300m", memory: "300Mi" });
    expect(r.limits).toEqual({ cpu: "500m", memory: "500Mi" });
  });

  test("is scaled by an HPA from 2 to 6 replicas at 50% CPU, with no fixed replica count", () => {
    const hpa = one(objs, "HorizontalPodAutoscaler", GOURMETGRAM_NAME);
    expect(hpa.spec.scaleTargetRef).toEqual({ apiVersion: "apps/v1", kind: "Deployment", name: GOURMETGRAM_NAME });
    expect(hpa.spec.minReplicas).toBe(2);
    expect(hpa.spec.maxReplicas).toBe(6);
    expect(hpa.spec.metrics).toEqual([
      { type: "Resource", resource: { name: "cpu", target: { type: "Utilization", averageUtilization: 50 } } },
    ]);
    expect(one(objs, "Deployment", GOURMETGRAM_NAME).spec.replicas).toBeUndefined();
  });

  test("serves port 80 to 8000 behind a TLS Ingress for its host", () => {
    const svc = one(objs, "Service", GOURMETGRAM_NAME);
    expect(svc.spec.type).toBe("ClusterIP");
    expect(svc.spec.ports).toEqual([expect.objectContaining({ port: 80, targetPort: 8000 })]);
    const ingress = one(objs, "Ingress", GOURMETGRAM_NAME);
    expect(ingress.spec.tls).toEqual([{ hosts: ["gourmetgram.apps.example.com"], secretName: "gourmetgram-tls" }]);
    const rule = ingress.spec.rules[0];
    expect(rule.host).toBe("gourmetgram.apps.example.com");
    expect(rule.http.paths[0].backend.service).toEqual({ name: GOURMETGRAM_NAME, port: { number: 80 } });
    expect(ingress.spec.ingressClassName).toBe("nginx");
    expect(one(objs, "Certificate", GOURMETGRAM_NAME).spec.dnsNames).toEqual(["gourmetgram.apps.example.com"]);
  });

  test("has no NodePort unless asked, then exactly the one asked for", () => {
    expect(all(objs, "Service").filter((s) => s.spec.type === "NodePort")).toEqual([]);
    const withNodePort = synth({ nodePort: 30080 });
    const np = one(withNodePort, "Service", "gourmetgram-nodeport");
    expect(np.spec.type).toBe("NodePort");
    expect(np.spec.ports).toEqual([expect.objectContaining({ port: 80, targetPort: 8000, nodePort: 30080 })]);
    expect(np.spec.selector).toEqual({ "app.kubernetes.io/name": GOURMETGRAM_NAME });
    assertChartInvariants(withNodePort);
  });

  test("takes host, ingress class, resources and HPA bounds from the values", () => {
    const o = synth(
      {
        host: "food.example.org",
        resources: { cpu: { request: "250m", limit: "1" } },
        autoscaling: { minReplicas: 3, maxReplicas: 10, cpuUtilization: 60 },
      },
      { ingressClass: "traefik" },
    );
    expect(one(o, "Ingress", GOURMETGRAM_NAME).spec.rules[0].host).toBe("food.example.org");
    expect(one(o, "Ingress", GOURMETGRAM_NAME).spec.ingressClassName).toBe("traefik");
    expect(container(o).resources.limits.cpu).toBe("1000m");
    const hpa = one(o, "HorizontalPodAutoscaler", GOURMETGRAM_NAME);
    expect([hpa.spec.minReplicas, hpa.spec.maxReplicas]).toEqual([3, 10]);
    expect(hpa.spec.metrics[0].resource.target.averageUtilization).toBe(60);
  });
});

describe("gourmetgram values", () => {
  test.each([
    [{ image: "acme/gourmetgram:latest" }, /gourmetgram\.image: got "acme\/gourmetgram:latest"/],
    [{ nodePort: 8080 }, /gourmetgram\.nodePort: got 8080; allowed: an integer from 30000 to 32767/],
    [{ autoscaling: { minReplicas: 7, maxReplicas: 6 } }, /gourmetgram\.autoscaling\.minReplicas: got 7; allowed: at most maxReplicas \(6\)/],
    [{ host: "Not A Host" }, /gourmetgram\.host: got "Not A Host"/],
    [{ replicas: 3 }, /gourmetgram\.replicas: got 3; allowed: a known key/],
    [{ resources: { memory: { request: "600Mi" } } }, /gourmetgram\.resources\.memory\.request: got "600Mi"; allowed: at most memory\.limit \(500Mi\)/],
  ])("rejects %j", (gourmetgram, message) => {
    expect(parseError(gourmetgram)).toMatch(message);
  });
});
