import { Chart, Duration, Testing } from "cdk8s";
import * as kplus from "cdk8s-plus-28";
import { Microservice, MicroserviceProps } from "../../../constructs/microservice";
import { DEFAULT_RESOURCES } from "../../../constructs/resources";
import { assertChartInvariants } from "../charts/invariants";

type Obj = Record<string, any>; // eslint-disable-line @typescript-eslint/no-explicit-any

function synth(props: Partial<MicroserviceProps> = {}): Obj[] {
  const chart = new Chart(Testing.app(), "test");
  new Microservice(chart, "Svc", { name: "api", namespace: "demo", image: "team/api:1.2.3", callers: [], ...props });
  return Testing.synth(chart) as Obj[];
}
const kinds = (objs: Obj[]) => objs.map((o) => o.kind).sort();
const of = (objs: Obj[], kind: string) => objs.filter((o) => o.kind === kind);
const container = (objs: Obj[]) => of(objs, "Deployment")[0].spec.template.spec.containers[0];

describe("Microservice", () => {
  test("defaults: Deployment, Service, ServiceAccount; one replica, no HPA, no PDB", () => {
    const objs = synth();
    expect(kinds(objs)).toEqual(["Deployment", "NetworkPolicy", "Service", "ServiceAccount"]);
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
    expect(of(objs, "Deployment")[0].spec.template.spec.securityContext).toMatchObject({ fsGroup: 10001, fsGroupChangePolicy: "OnRootMismatch" });
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
    expect(kinds(synth({ expose: false }))).toEqual(["Deployment", "NetworkPolicy", "ServiceAccount"]);
  });

  test("probes replace the defaults one by one; a tcp liveness probe for a busy server", () => {
    const c = container(
      synth({
        probes: {
          readiness: kplus.Probe.fromHttpGet("/test", {
            port: 8080,
            initialDelaySeconds: Duration.seconds(5),
            periodSeconds: Duration.seconds(5),
            successThreshold: 3,
            timeoutSeconds: Duration.seconds(4),
          }),
          liveness: kplus.Probe.fromTcpSocket({ port: 8786, periodSeconds: Duration.seconds(20) }),
        },
      }),
    );
    expect(c.readinessProbe).toEqual({
      httpGet: { path: "/test", port: 8080, scheme: "HTTP" },
      initialDelaySeconds: 5,
      periodSeconds: 5,
      successThreshold: 3,
      timeoutSeconds: 4,
      failureThreshold: 3,
    });
    expect(c.livenessProbe).toEqual({ tcpSocket: { port: 8786 }, periodSeconds: 20, failureThreshold: 3 });
    // The default startup probe stays.
    expect(c.startupProbe.httpGet).toMatchObject({ path: "/healthz", port: 8080 });
  });

  test("healthPort moves the default probes to a port of their own", () => {
    const c = container(synth({ port: 8080, healthPort: 8086 }));
    expect([c.readinessProbe, c.livenessProbe, c.startupProbe].map((p: Obj) => p.httpGet.port)).toEqual([8086, 8086, 8086]);
    expect(c.ports).toEqual([{ containerPort: 8080, name: "http" }]);
  });

  test("strategy: Recreate replaces the default rolling update", () => {
    expect(of(synth(), "Deployment")[0].spec.strategy.type).toBe("RollingUpdate");
    expect(of(synth({ strategy: kplus.DeploymentStrategy.recreate() }), "Deployment")[0].spec.strategy).toEqual({ type: "Recreate" });
  });

  test("imagePullSecret references registry credentials without creating a Secret", () => {
    const objs = synth({ imagePullSecret: "registry-credentials" });
    expect(of(objs, "Deployment")[0].spec.template.spec.imagePullSecrets).toEqual([{ name: "registry-credentials" }]);
    expect(of(objs, "Secret")).toEqual([]);
    expect(of(synth(), "Deployment")[0].spec.template.spec.imagePullSecrets).toBeUndefined();
  });

  test("colocateWith requires the node of the pods with those labels", () => {
    const spec = of(synth({ colocateWith: { "app.kubernetes.io/name": "notebook" } }), "Deployment")[0].spec.template.spec;
    expect(spec.affinity).toEqual({
      podAffinity: {
        requiredDuringSchedulingIgnoredDuringExecution: [
          { topologyKey: "kubernetes.io/hostname", labelSelector: { matchLabels: { "app.kubernetes.io/name": "notebook" } } },
        ],
      },
    });
    expect(of(synth(), "Deployment")[0].spec.template.spec.affinity).toBeUndefined();
  });

  test("spreadOverNodes adds one hostname spread constraint over its own pods", () => {
    const [constraint] = of(synth({ replicas: 3, spreadOverNodes: "ScheduleAnyway" }), "Deployment")[0].spec.template.spec.topologySpreadConstraints;
    expect(constraint).toMatchObject({ whenUnsatisfiable: "ScheduleAnyway", labelSelector: { matchLabels: { "app.kubernetes.io/name": "api" } } });
  });

  test("extra labels on every object and the pods, the selector unchanged", () => {
    const objs = synth({ labels: { "app.kubernetes.io/component": "server" } });
    for (const o of objs) expect(o.metadata.labels["app.kubernetes.io/component"]).toBe("server");
    const d = of(objs, "Deployment")[0];
    expect(d.spec.template.metadata.labels["app.kubernetes.io/component"]).toBe("server");
    expect(d.spec.selector).toEqual({ matchLabels: { "app.kubernetes.io/name": "api" } });
  });

  test("a sidecar gets the main container's security context and pull policy", () => {
    const chart = new Chart(Testing.app(), "test");
    const ms = new Microservice(chart, "Svc", { name: "api", image: "team/api:1.2.3", callers: [], security: { runAsUser: 65534, runAsGroup: 65534 } });
    const probe = kplus.Probe.fromHttpGet("/healthz", { port: 8081 });
    ms.addSidecar({
      name: "reloader",
      image: "team/reloader:0.1",
      port: { name: "reloader", number: 8081 },
      probes: { readiness: probe, liveness: probe },
      resources: { cpu: { request: "10m", limit: "100m" }, memory: { request: "32Mi", limit: "64Mi" } },
    });
    const [main, sidecar] = of(Testing.synth(chart) as Obj[], "Deployment")[0].spec.template.spec.containers;
    expect(sidecar).toMatchObject({ name: "reloader", imagePullPolicy: "IfNotPresent", ports: [{ containerPort: 8081, name: "reloader" }] });
    expect(sidecar.securityContext).toEqual(main.securityContext);
    expect(sidecar.readinessProbe.httpGet).toEqual({ path: "/healthz", port: 8081, scheme: "HTTP" });
    expect(sidecar.resources).toEqual({ requests: { cpu: "10m", memory: "32Mi" }, limits: { cpu: "100m", memory: "64Mi" } });
    const again = () => ms.addSidecar({ name: "api", image: "team/x:1", port: { name: "x", number: 1 }, probes: { readiness: probe, liveness: probe }, resources: DEFAULT_RESOURCES });
    expect(again).toThrow(/sidecar "api": name: already used in the pod/);
    const noLiveness = () => ms.addSidecar({ name: "x", image: "team/x:1", port: { name: "x", number: 1 }, probes: { readiness: probe }, resources: DEFAULT_RESOURCES });
    expect(noLiveness).toThrow(/sidecar "x" probes: allowed: readiness and liveness probes/);
  });

  test("env from the pod's own fields, defined before the plain values that refer to them", () => {
    const c = container(synth({ envFromFields: { POD_NAME: "metadata.name" }, env: { NODE: "$(POD_NAME).api" } }));
    expect(c.env).toEqual([
      { name: "POD_NAME", valueFrom: { fieldRef: { fieldPath: "metadata.name" } } },
      { name: "NODE", value: "$(POD_NAME).api" },
    ]);
  });

  test("a preStop command instead of the sleep", () => {
    expect(container(synth({ shutdown: { preStopCommand: ["/bin/drain"] } })).lifecycle).toEqual({ preStop: { exec: { command: ["/bin/drain"] } } });
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
    ["a probe without a port", { probes: { liveness: kplus.Probe.fromTcpSocket() } }, /probes liveness probe: got a probe without a port; allowed: a probe that names its port/],
    ["a liveness probe needing several successes", { probes: { liveness: kplus.Probe.fromTcpSocket({ port: 8080, successThreshold: 2 }) } }, /probes liveness probe successThreshold: got 2; allowed: 1/],
    ["a probe port out of range", { probes: { readiness: kplus.Probe.fromHttpGet("/ready", { port: 0 }) } }, /probes readiness probe port: got 0/],
    ["a relative path in a probe", { probes: { readiness: kplus.Probe.fromHttpGet("ready", { port: 8080 }) } }, /readiness probe path: got "ready"/],
    ["a health port out of range", { healthPort: 70000 }, /healthPort: got 70000; allowed: an integer from 1 to 65535/],
    ["an imagePullSecret that is no Secret name", { imagePullSecret: "Registry Creds" }, /imagePullSecret: got "Registry Creds"; allowed: a DNS subdomain/],
    ["colocation with no labels", { colocateWith: {} }, /colocateWith: got \{\}; allowed: at least one label/],
    ["colocation with a malformed label", { colocateWith: { "app name": "x" } }, /colocateWith: got "app name=x"; allowed: Kubernetes label keys and values/],
    ["a field path outside the pod", { envFromFields: { X: "node.name" } }, /envFromFields X: got "node.name"/],
    ["an unknown spread policy", { spreadOverNodes: "Always" as never }, /policy: got "Always"; allowed: DoNotSchedule or ScheduleAnyway/],
    ["extra labels that would change the selector", { labels: { "app.kubernetes.io/name": "other" } }, /labels: got "app.kubernetes.io\/name"; allowed: labels other than/],
    ["both preStop actions", { shutdown: { preStopSleepSeconds: 5, preStopCommand: ["x"] } }, /both preStopSleepSeconds and preStopCommand are set/],
  ];
  test.each(invalid)("rejects %s at construction", (_d, props, message) => {
    expect(() => synth(props)).toThrow(message);
  });
});
