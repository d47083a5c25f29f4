import { Chart, Duration, Testing } from "cdk8s";
import * as kplus from "cdk8s-plus-28";
import { StatefulService, StatefulServiceProps } from "../../../constructs/stateful-service";
import { assertChartInvariants } from "../charts/invariants";

type Obj = Record<string, any>; // eslint-disable-line @typescript-eslint/no-explicit-any

const BASE: StatefulServiceProps = {
  name: "db",
  namespace: "data",
  image: "postgres:17.6",
  ports: [{ name: "pg", port: 5432 }],
  callers: [],
  volumeClaims: [{ name: "data", mountPath: "/var/lib/postgresql/data", size: "10Gi", storageClassName: "ebs-gp3" }],
  probes: {
    readiness: kplus.Probe.fromTcpSocket({ port: 5432, periodSeconds: Duration.seconds(10) }),
    liveness: kplus.Probe.fromTcpSocket({ port: 5432, periodSeconds: Duration.seconds(20) }),
  },
  resources: { cpu: { request: "100m", limit: "1" }, memory: { request: "256Mi", limit: "512Mi" } },
};

function synth(overrides: Partial<StatefulServiceProps> = {}): Obj[] {
  const chart = new Chart(Testing.app(), "c");
  new StatefulService(chart, "S", { ...BASE, ...overrides });
  return Testing.synth(chart) as Obj[];
}
const one = (objs: Obj[], kind: string, name: string) => {
  const found = objs.filter((o) => o.kind === kind && o.metadata.name === name);
  expect(found).toHaveLength(1);
  return found[0];
};
const build = (overrides: Partial<StatefulServiceProps>) => () => synth(overrides);

describe("StatefulService", () => {
  const objs = synth();
  const sts = one(objs, "StatefulSet", "db");

  test("passes the chart invariants, single and clustered", () => {
    assertChartInvariants(objs);
    assertChartInvariants(synth({ replicas: 3 }));
  });

  test("declares one claim template per volume, of the given class and size, mounted in the container", () => {
    expect(sts.spec.volumeClaimTemplates).toEqual([
      {
        metadata: { name: "data", labels: { "app.kubernetes.io/name": "db" } },
        spec: { accessModes: ["ReadWriteOnce"], storageClassName: "ebs-gp3", resources: { requests: { storage: "10Gi" } } },
      },
    ]);
    expect(sts.spec.template.spec.containers[0].volumeMounts).toContainEqual({ name: "data", mountPath: "/var/lib/postgresql/data" });
    // A claim template is not a pod volume.
    expect((sts.spec.template.spec.volumes as Obj[]).map((v) => v.name)).not.toContain("data");
  });

  test("names pods through a headless Service that publishes them before they are ready", () => {
    expect(sts.spec.serviceName).toBe("db-headless");
    const headless = one(objs, "Service", "db-headless");
    expect(headless.spec).toMatchObject({ clusterIP: "None", publishNotReadyAddresses: true, selector: { "app.kubernetes.io/name": "db" } });
    const client = one(objs, "Service", "db");
    expect(client.spec.ports).toEqual([{ name: "pg", port: 5432, targetPort: "pg" }]);
    expect(client.spec.type).toBe("ClusterIP");
  });

  test("runs restricted with a token-less service account", () => {
    const spec = sts.spec.template.spec;
    expect(spec.serviceAccountName).toBe("db");
    expect(spec.automountServiceAccountToken).toBe(false);
    expect(one(objs, "ServiceAccount", "db").automountServiceAccountToken).toBe(false);
    expect(spec.securityContext).toMatchObject({ runAsNonRoot: true, runAsUser: 999, fsGroup: 999, seccompProfile: { type: "RuntimeDefault" } });
    expect(spec.containers[0].securityContext).toMatchObject({ readOnlyRootFilesystem: true, capabilities: { drop: ["ALL"] } });
    expect(spec.containers[0].volumeMounts).toContainEqual({ name: "tmp", mountPath: "/tmp" });
    const writable = one(synth({ security: { writableRootFilesystem: true, runAsUser: 1000 } }), "StatefulSet", "db").spec.template.spec;
    expect(writable.containers[0].securityContext.readOnlyRootFilesystem).toBe(false);
    expect(writable.securityContext.runAsUser).toBe(1000);
  });

  test("a PodDisruptionBudget and spreading only with more than one replica", () => {
    expect(objs.filter((o) => o.kind === "PodDisruptionBudget")).toEqual([]);
    expect(sts.spec.template.spec.affinity).toBeUndefined();
    const three = synth({ replicas: 3 });
    expect(one(three, "PodDisruptionBudget", "db").spec).toEqual({ maxUnavailable: 1, selector: { matchLabels: { "app.kubernetes.io/name": "db" } } });
    expect(one(three, "StatefulSet", "db").spec.template.spec.affinity.podAntiAffinity).toBeDefined();
  });

  test("env: pod fields first (so later values can use $(VAR)), then Secret references, then literals", () => {
    const c = one(
      synth({
        envFromFields: { POD_NAME: "metadata.name" },
        envFromSecrets: { PGPASSWORD: { secretName: "pg", key: "password" } },
        env: { NODE: "$(POD_NAME).db-headless" },
      }),
      "StatefulSet",
      "db",
    ).spec.template.spec.containers[0];
    expect(c.env).toEqual([
      { name: "POD_NAME", valueFrom: { fieldRef: { fieldPath: "metadata.name" } } },
      { name: "PGPASSWORD", valueFrom: { secretKeyRef: { name: "pg", key: "password" } } },
      { name: "NODE", value: "$(POD_NAME).db-headless" },
    ]);
  });

  test("init containers share the image, mounts and security context", () => {
    const spec = one(
      synth({
        initContainers: [{ name: "prep", command: ["sh", "-c", "true"] }],
        fileMounts: [{ name: "conf", configMapName: "db-conf", mountPath: "/etc/db/db.conf", subPath: "db.conf" }],
      }),
      "StatefulSet",
      "db",
    ).spec.template.spec;
    const init = spec.initContainers[0];
    expect(init.image).toBe("postgres:17.6");
    expect(init.securityContext).toEqual(spec.containers[0].securityContext);
    expect(init.volumeMounts).toEqual(spec.containers[0].volumeMounts);
    expect(init.volumeMounts).toContainEqual({ name: "conf", mountPath: "/etc/db/db.conf", subPath: "db.conf", readOnly: true });
    expect(init.resources.limits).toEqual({ cpu: "100m", memory: "256Mi" });
  });

  test("an init container can mount chosen volumes at its own paths", () => {
    const spec = one(
      synth({
        scratchDirs: { conf: "/etc/db" },
        initContainers: [{ name: "seed-config", command: ["cp", "-a", "/etc/db/.", "/seed/"], mounts: [{ volume: "conf", mountPath: "/seed" }] }],
      }),
      "StatefulSet",
      "db",
    ).spec.template.spec;
    expect(spec.initContainers[0].volumeMounts).toEqual([{ name: "conf", mountPath: "/seed" }]);
    expect(spec.containers[0].volumeMounts).toContainEqual({ name: "conf", mountPath: "/etc/db" });
    expect(build({ initContainers: [{ name: "x", command: ["true"], mounts: [{ volume: "nope", mountPath: "/x" }] }] })).toThrow(
      /mounts: got "nope"; allowed: one of data, tmp/,
    );
  });

  test("probes as kplus.Probe, converted for the StatefulSet", () => {
    const c = sts.spec.template.spec.containers[0];
    expect(c.readinessProbe).toEqual({ tcpSocket: { port: 5432 }, periodSeconds: 10, failureThreshold: 3 });
    expect(c.livenessProbe).toEqual({ tcpSocket: { port: 5432 }, periodSeconds: 20, failureThreshold: 3 });
    expect(c.startupProbe).toBeUndefined();
    const startup = kplus.Probe.fromCommand(["pg_isready"], { periodSeconds: Duration.seconds(10), failureThreshold: 60 });
    expect(one(synth({ probes: { ...BASE.probes, startup } }), "StatefulSet", "db").spec.template.spec.containers[0].startupProbe).toEqual({
      exec: { command: ["pg_isready"] },
      periodSeconds: 10,
      failureThreshold: 60,
    });
  });

  test("shutdown: grace period and a preStop command or the native sleep", () => {
    const spec = (o: Obj[]) => one(o, "StatefulSet", "db").spec.template.spec;
    expect(spec(objs).terminationGracePeriodSeconds).toBe(60);
    const drained = spec(synth({ shutdown: { terminationGracePeriodSeconds: 600, preStopCommand: ["/drain.sh"] } }));
    expect(drained.terminationGracePeriodSeconds).toBe(600);
    expect(drained.containers[0].lifecycle).toEqual({ preStop: { exec: { command: ["/drain.sh"] } } });
    expect(spec(synth({ shutdown: { preStopSleepSeconds: 5 } })).containers[0].lifecycle).toEqual({ preStop: { sleep: { seconds: 5 } } });
  });

  test("security: group, fsGroup and root follow the shared vocabulary", () => {
    const spec = one(synth({ security: { runAsUser: 1000, runAsGroup: 2000, fsGroup: 3000 } }), "StatefulSet", "db").spec.template.spec;
    expect(spec.securityContext).toMatchObject({ runAsUser: 1000, runAsGroup: 2000, fsGroup: 3000 });
    expect(spec.containers[0].securityContext).toMatchObject({ runAsUser: 1000, runAsGroup: 2000 });
  });

  test("extra labels on every object, pod and claim template; the selector unchanged", () => {
    const labelled = synth({ labels: { "app.kubernetes.io/component": "database" } });
    for (const o of labelled) expect(o.metadata.labels["app.kubernetes.io/component"]).toBe("database");
    const set = one(labelled, "StatefulSet", "db");
    expect(set.spec.template.metadata.labels["app.kubernetes.io/component"]).toBe("database");
    expect(set.spec.selector).toEqual({ matchLabels: { "app.kubernetes.io/name": "db" } });
    expect(build({ labels: { "app.kubernetes.io/part-of": "x" } })).toThrow(/labels: got "app.kubernetes.io\/part-of"/);
  });

  test("env from ConfigMaps, by reference", () => {
    const c = one(synth({ envFromConfigMaps: ["db-env"] }), "StatefulSet", "db").spec.template.spec.containers[0];
    expect(c.envFrom).toEqual([{ configMapRef: { name: "db-env" } }]);
  });

  test("rejects bad props with the key and what is allowed", () => {
    expect(build({ volumeClaims: [] })).toThrow(/volumeClaims: got \[\]; allowed: at least one claim/);
    expect(build({ ports: [] })).toThrow(/ports: got \[\]/);
    expect(build({ image: "postgres:latest" })).toThrow(/image: got "postgres:latest"/);
    expect(build({ name: "a".repeat(53) })).toThrow(/at most 52 characters/);
    expect(build({ replicas: 0 })).toThrow(/replicas: got 0/);
    expect(build({ ports: [{ name: "Postgres_Port", port: 5432 }] })).toThrow(/port name/);
    expect(build({ volumeClaims: [{ ...BASE.volumeClaims[0], size: "10GB" }] })).toThrow(/size: got "10GB"/);
    expect(build({ volumeClaims: [{ ...BASE.volumeClaims[0], storageClassName: "EBS" }] })).toThrow(/storageClassName/);
    expect(build({ fileMounts: [{ name: "x", configMapName: "a", secretName: "b", mountPath: "/x" }] })).toThrow(/exactly one of configMapName or secretName/);
    expect(build({ env: { A: "1" }, envFromFields: { A: "metadata.name" } })).toThrow(/"A" is defined twice/);
    expect(build({ resources: { ...BASE.resources, cpu: { request: "2", limit: "1" } } })).toThrow(/cpu.request/);
    expect(build({ probes: { readiness: BASE.probes!.readiness } })).toThrow(/probes: allowed: readiness and liveness probes/);
    expect(build({ probes: { ...BASE.probes, startup: kplus.Probe.fromTcpSocket({ port: 5432, successThreshold: 3 }) } })).toThrow(
      /probes startup probe successThreshold: got 3; allowed: 1/,
    );
    expect(build({ probes: { ...BASE.probes, startup: kplus.Probe.fromTcpSocket() } })).toThrow(/startup probe: got a probe without a port/);
    expect(build({ security: { runAsUser: 0 } })).toThrow(/security.runAsUser: got 0; allowed: an integer from 1/);
    expect(build({ shutdown: { terminationGracePeriodSeconds: 5, preStopSleepSeconds: 5 } })).toThrow(/preStopSleepSeconds: got 5; allowed: an integer from 1 to 4/);
    expect(build({ envFromConfigMaps: ["Not A Name"] })).toThrow(/envFromConfigMaps: got "Not A Name"/);
  });
});
