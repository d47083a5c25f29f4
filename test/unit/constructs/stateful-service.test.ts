import { Chart, Testing } from "cdk8s";
import { IntOrString } from "cdk8s-plus-28/lib/imports/k8s";
import { StatefulService, StatefulServiceProps } from "../../../constructs/stateful-service";
import { assertChartInvariants } from "../charts/invariants";

type Obj = Record<string, any>; // eslint-disable-line @typescript-eslint/no-explicit-any

const BASE: StatefulServiceProps = {
  name: "db",
  namespace: "data",
  image: "postgres:17.6",
  ports: [{ name: "pg", port: 5432 }],
  volumeClaims: [{ name: "data", mountPath: "/var/lib/postgresql/data", size: "10Gi", storageClassName: "ebs-gp3" }],
  readiness: { tcpSocket: { port: IntOrString.fromString("pg") }, periodSeconds: 10 },
  liveness: { tcpSocket: { port: IntOrString.fromString("pg") }, periodSeconds: 20 },
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
    const writable = one(synth({ writableRootFilesystem: true, runAsUser: 1000 }), "StatefulSet", "db").spec.template.spec;
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
        env: [{ name: "NODE", value: "$(POD_NAME).db-headless" }],
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
    expect(build({ env: [{ name: "A", value: "1" }], envFromFields: { A: "metadata.name" } })).toThrow(/"A" is defined twice/);
    expect(build({ resources: { ...BASE.resources, cpu: { request: "2", limit: "1" } } })).toThrow(/cpu.request/);
  });
});
