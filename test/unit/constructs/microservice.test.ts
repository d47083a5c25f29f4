import { Chart, Testing } from "cdk8s";
import { Microservice, MicroserviceProps } from "../../../constructs/microservice";
import { assertChartInvariants } from "../charts/invariants";

type Obj = Record<string, any>; // eslint-disable-line @typescript-eslint/no-explicit-any

function synth(props: Partial<MicroserviceProps> = {}): Obj[] {
  const chart = new Chart(Testing.app(), "test");
  new Microservice(chart, "Svc", { name: "api", namespace: "demo", image: "team/api:1.2.3", ...props });
  return Testing.synth(chart) as Obj[];
}
const kinds = (objs: Obj[]) => objs.map((o) => o.kind).sort();
const of = (objs: Obj[], kind: string) => objs.filter((o) => o.kind === kind);
const container = (objs: Obj[]) => of(objs, "Deployment")[0].spec.template.spec.containers[0];

describe("Microservice", () => {
  test("defaults: Deployment, Service, ServiceAccount; one replica, no HPA, no PDB", () => {
    const objs = synth();
    expect(kinds(objs)).toEqual(["Deployment", "Service", "ServiceAccount"]);
    expect(of(objs, "Deployment")[0].spec.replicas).toBe(1);
    assertChartInvariants(objs);
  });

  test("probes, resources and a pull policy that trusts the pinned tag", () => {
    const c = container(synth({ readinessPath: "/readyz", livenessPath: "/livez", port: 9000 }));
    expect(c.readinessProbe.httpGet).toMatchObject({ path: "/readyz", port: 9000 });
    expect(c.livenessProbe.httpGet).toMatchObject({ path: "/livez", port: 9000 });
    expect(c.startupProbe.httpGet).toMatchObject({ path: "/livez", port: 9000 });
    expect(c.resources).toEqual({ requests: { cpu: "100m", memory: "128Mi" }, limits: { cpu: "500m", memory: "256Mi" } });
    expect(c.imagePullPolicy).toBe("IfNotPresent");
  });

  test("restricted security defaults, with a writable /tmp", () => {
    const objs = synth();
    const c = container(objs);
    expect(c.securityContext).toEqual({
      runAsNonRoot: true,
      runAsUser: 10001,
      runAsGroup: 10001,
      readOnlyRootFilesystem: true,
      allowPrivilegeEscalation: false,
      privileged: false,
      capabilities: { drop: ["ALL"] },
      seccompProfile: { type: "RuntimeDefault" },
    });
    expect(c.volumeMounts).toEqual([{ mountPath: "/tmp", name: "tmp" }]);
    expect(of(objs, "Deployment")[0].spec.template.spec.volumes).toEqual([{ name: "tmp", emptyDir: {} }]);
  });

  test("the explicit opt-out runs as root with a writable filesystem", () => {
    const objs = synth({ security: { allowRunAsRoot: true, writableRootFilesystem: true } });
    const c = container(objs);
    expect(c.securityContext).toMatchObject({ runAsNonRoot: false, runAsUser: 0, readOnlyRootFilesystem: false, allowPrivilegeEscalation: false });
    expect(of(objs, "Deployment")[0].spec.template.spec.securityContext.runAsNonRoot).toBe(false);
  });

  test("a dedicated ServiceAccount without a token unless asked", () => {
    const objs = synth();
    expect(of(objs, "ServiceAccount")[0]).toMatchObject({ metadata: { name: "api", namespace: "demo" }, automountServiceAccountToken: false });
    expect(of(objs, "Deployment")[0].spec.template.spec).toMatchObject({ serviceAccountName: "api", automountServiceAccountToken: false });
    const withToken = synth({ automountServiceAccountToken: true });
    expect(of(withToken, "Deployment")[0].spec.template.spec.automountServiceAccountToken).toBe(true);
  });

  test("stable selector labels shared by the Deployment, Service and PDB", () => {
    const objs = synth({ replicas: 3 });
    const selector = { "app.kubernetes.io/name": "api" };
    expect(of(objs, "Deployment")[0].spec.selector).toEqual({ matchLabels: selector });
    expect(of(objs, "Service")[0].spec.selector).toEqual(selector);
    expect(of(objs, "PodDisruptionBudget")[0].spec).toEqual({ maxUnavailable: 1, selector: { matchLabels: selector } });
    assertChartInvariants(objs);
  });

  test("HPA on CPU (and memory) and no replica count on the Deployment", () => {
    const objs = synth({ autoscaling: { minReplicas: 2, maxReplicas: 6, cpuUtilization: 60, memoryUtilization: 80 } });
    const hpa = of(objs, "HorizontalPodAutoscaler")[0];
    expect(hpa.spec).toMatchObject({ minReplicas: 2, maxReplicas: 6, scaleTargetRef: { apiVersion: "apps/v1", kind: "Deployment", name: "api" } });
    expect(hpa.spec.metrics.map((m: Obj) => [m.resource.name, m.resource.target.averageUtilization])).toEqual([["cpu", 60], ["memory", 80]]);
    expect(of(objs, "Deployment")[0].spec.replicas).toBeUndefined();
    expect(of(objs, "PodDisruptionBudget")).toHaveLength(1);
    assertChartInvariants(objs);
  });

  test("an HPA that cannot exceed one replica gets no PDB", () => {
    expect(of(synth({ autoscaling: { maxReplicas: 1 } }), "PodDisruptionBudget")).toEqual([]);
  });

  test("graceful shutdown: grace period and the native preStop sleep", () => {
    const objs = synth({ shutdown: { terminationGracePeriodSeconds: 45, preStopSleepSeconds: 10 } });
    expect(of(objs, "Deployment")[0].spec.template.spec.terminationGracePeriodSeconds).toBe(45);
    expect(container(objs).lifecycle).toEqual({ preStop: { sleep: { seconds: 10 } } });
    expect(container(synth()).lifecycle).toBeUndefined();
  });

  test("Prometheus scrape annotations only when it exposes metrics", () => {
    expect(of(synth(), "Deployment")[0].spec.template.metadata.annotations).toBeUndefined();
    const ann = of(synth({ metrics: { port: 9102, path: "/stats" } }), "Deployment")[0].spec.template.metadata.annotations;
    expect(ann).toEqual({ "prometheus.io/scrape": "true", "prometheus.io/port": "9102", "prometheus.io/path": "/stats" });
  });

  test("config from ConfigMaps and credentials from Secrets, by reference", () => {
    const objs = synth({
      env: { LOG_LEVEL: "info" },
      envFromConfigMaps: ["shared-config"],
      envFromSecrets: { DB_PASSWORD: { secretName: "db", key: "password" } },
    });
    const c = container(objs);
    expect(c.env).toEqual([
      { name: "LOG_LEVEL", value: "info" },
      { name: "DB_PASSWORD", valueFrom: { secretKeyRef: { name: "db", key: "password" } } },
    ]);
    expect(c.envFrom).toEqual([{ configMapRef: { name: "shared-config" } }]);
    expect(of(objs, "Secret")).toEqual([]);
    expect(of(objs, "ConfigMap")).toEqual([]);
  });

  test("expose: false leaves out the Service", () => {
    expect(kinds(synth({ expose: false }))).toEqual(["Deployment", "ServiceAccount"]);
  });

  const invalid: [string, Partial<MicroserviceProps>, RegExp][] = [
    ["an upper-case name", { name: "Api" }, /Microservice name: got "Api"; allowed: a DNS label/],
    ["an image on latest", { image: "team/api:latest" }, /image: got "team\/api:latest"; allowed: an image reference pinned/],
    ["an untagged image", { image: "team/api" }, /pinned/],
    ["replicas together with autoscaling", { replicas: 2, autoscaling: { maxReplicas: 4 } }, /either a fixed replica count or autoscaling, not both/],
    ["minReplicas above maxReplicas", { autoscaling: { minReplicas: 5, maxReplicas: 3 } }, /autoscaling.minReplicas: got 5; allowed: an integer from 1 to 3/],
    ["a CPU request above the limit", { resources: { cpu: { request: "2", limit: "1" }, memory: { request: "1Gi", limit: "1Gi" } } }, /cpu.request: got "2"; allowed: at most the limit/],
    ["a memory quantity in bytes", { resources: { cpu: { request: "1", limit: "1" }, memory: { request: "1000000", limit: "1Gi" } } }, /memory.request: got "1000000"/],
    ["a preStop sleep as long as the grace period", { shutdown: { terminationGracePeriodSeconds: 10, preStopSleepSeconds: 10 } }, /preStopSleepSeconds: got 10; allowed: an integer from 1 to 9/],
    ["a relative probe path", { readinessPath: "ready" }, /readinessPath: got "ready"/],
    ["a port out of range", { port: 70000 }, /port: got 70000/],
    ["an invalid env name", { env: { "LOG-LEVEL": "x" } }, /"LOG-LEVEL"; allowed: an environment variable name/],
    ["the same variable twice", { env: { TOKEN: "x" }, envFromSecrets: { TOKEN: { secretName: "s", key: "k" } } }, /"TOKEN" is defined twice/],
    ["root together with a UID", { security: { allowRunAsRoot: true, runAsUser: 1000 } }, /allowRunAsRoot cannot be combined/],
  ];
  test.each(invalid)("rejects %s at construction", (_d, props, message) => {
    expect(() => synth(props)).toThrow(message);
  });
});
