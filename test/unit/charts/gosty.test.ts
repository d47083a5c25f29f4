import * as fs from "node:fs";
import * as path from "node:path";
import { Testing } from "cdk8s";
import { parse } from "yaml";
import { GOSTY_CONFIG_MAP } from "../../../charts/gosty/app-env";
import { FILE_SERVER_STORAGE_PATH } from "../../../charts/gosty/file-server";
import { GostyChart } from "../../../charts/gosty/chart";
import {
  DEFAULT_ELASTICSEARCH_IMAGE,
  DEFAULT_GOSTY_IMAGES,
  DEFAULT_KIBANA_IMAGE,
  DEFAULT_MONGODB_IMAGE,
  DEFAULT_RABBITMQ_IMAGE,
  GOSTY_NAMESPACE,
  gostyRequiredSecrets,
} from "../../../charts/gosty/values";
import { parseValues, PlatformValues } from "../../../charts/values";
import { ConfigError } from "../../../lib/validate";
import { assertChartInvariants } from "./invariants";

type Obj = Record<string, any>; // eslint-disable-line @typescript-eslint/no-explicit-any

/** The chart as the registry creates it: its own values and the global ones only. */
function synthValues(values: PlatformValues): Obj[] {
  return Testing.synth(new GostyChart(Testing.app(), "gosty", { global: values.global, gosty: values.gosty })) as Obj[];
}

function synth(gosty: unknown = {}, global: unknown = {}): Obj[] {
  return synthValues(parseValues({ global, gosty }));
}

const ofKind = (objs: Obj[], kind: string) => objs.filter((o) => o.kind === kind);
const one = (objs: Obj[], kind: string, name: string): Obj => {
  const found = objs.filter((o) => o.kind === kind && o.metadata.name === name);
  expect(found).toHaveLength(1);
  return found[0];
};
const pod = (objs: Obj[], kind: string, name: string) => one(objs, kind, name).spec.template.spec;
const main = (objs: Obj[], kind: string, name: string) => pod(objs, kind, name).containers[0];
const env = (c: Obj, name: string) => (c.env as Obj[] | undefined)?.find((e) => e.name === name);

/**
 * The content of the script a container runs as `file`: the key of the
 * ConfigMap whose volume the container mounts on the file's directory.
 */
function scriptOf(objs: Obj[], podSpec: Obj, container: Obj, file: string): string {
  const dir = file.slice(0, file.lastIndexOf("/"));
  const mount = (container.volumeMounts as Obj[]).find((m) => m.mountPath === dir);
  expect(mount).toBeDefined();
  const volume = (podSpec.volumes as Obj[]).find((v) => v.name === mount!.name)!;
  const content = one(objs, "ConfigMap", volume.configMap.name).data[file.slice(dir.length + 1)];
  expect(typeof content).toBe("string");
  return content as string;
}

function parseError(gosty: unknown): string {
  try {
    parseValues({ gosty });
  } catch (e) {
    expect(e).toBeInstanceOf(ConfigError);
    return (e as Error).message;
  }
  throw new Error("expected the values to be rejected");
}

const ALL_OPTIONS = { logging: { enabled: true }, linkerd: { enabled: true }, chaos: { enabled: true }, rabbitmq: { replicas: 3 } };

describe("GostyChart", () => {
  const objs = synth();
  const full = synth(ALL_OPTIONS);

  test("follows the chart invariants, bare and with every option", () => {
    assertChartInvariants(objs);
    assertChartInvariants(full);
  });

  test("lives in its own namespace", () => {
    expect(one(objs, "Namespace", GOSTY_NAMESPACE).metadata.labels["pod-security.kubernetes.io/enforce"]).toBe("restricted");
    for (const o of full.filter((x) => x.kind !== "Namespace")) expect(o.metadata.namespace).toBe(GOSTY_NAMESPACE);
  });

  test("API server, file server and workers run the configured images", () => {
    expect(main(objs, "Deployment", "gosty-apiserver").image).toBe(DEFAULT_GOSTY_IMAGES.apiServer);
    expect(main(objs, "Deployment", "gosty-fileserver").image).toBe(DEFAULT_GOSTY_IMAGES.fileServer);
    expect(main(objs, "Deployment", "gosty-worker").image).toBe(DEFAULT_GOSTY_IMAGES.worker);
    const custom = synth(
      {
        apiServer: { image: "gosty/apiserver:0.4.2" },
        fileServer: { image: "ghcr.io/me/fileserver:0.4.2" },
        worker: { image: "gosty/worker:0.4.2" },
        imagePullSecret: "regcred",
      },
      { imageRegistry: "mirror.example.com" },
    );
    expect(main(custom, "Deployment", "gosty-apiserver").image).toBe("mirror.example.com/gosty/apiserver:0.4.2");
    expect(main(custom, "Deployment", "gosty-fileserver").image).toBe("ghcr.io/me/fileserver:0.4.2");
    expect(main(custom, "Deployment", "gosty-worker").image).toBe("mirror.example.com/gosty/worker:0.4.2");
    for (const name of ["gosty-apiserver", "gosty-fileserver", "gosty-worker"]) {
      expect(pod(custom, "Deployment", name).imagePullSecrets).toEqual([{ name: "regcred" }]);
    }
    for (const name of ["rabbitmq", "mongodb"]) expect(pod(custom, "StatefulSet", name).imagePullSecrets).toEqual([{ name: "regcred" }]);
    expect(parseError({ worker: { image: "luqmansen/gosty-worker:latest" } })).toContain("gosty.worker.image");
  });

  test("probes hit the images' health port, not the traffic port", () => {
    const api = main(objs, "Deployment", "gosty-apiserver");
    expect(api.ports[0].containerPort).toBe(8000);
    expect(api.readinessProbe.httpGet).toMatchObject({ path: "/ready", port: 8086 });
    expect(api.livenessProbe.httpGet).toMatchObject({ path: "/live", port: 8086 });
    // The worker serves health on 8087 (pkg/worker/health.go), not the API server's 8086.
    expect(main(objs, "Deployment", "gosty-worker").livenessProbe.httpGet).toMatchObject({ path: "/live", port: 8087 });
    const custom = main(synth({ fileServer: { health: { port: 9000, readinessPath: "/healthz" } } }), "Deployment", "gosty-fileserver");
    expect(custom.readinessProbe.httpGet).toMatchObject({ path: "/healthz", port: 9000 });
    expect(parseError({ apiServer: { health: { port: 0 } } })).toContain("gosty.apiServer.health.port");
  });

  test("the file server keeps files on a claim of the global storage class and is replaced, not rolled", () => {
    const pvc = one(objs, "PersistentVolumeClaim", "gosty-fileserver-storage");
    expect(pvc.spec).toMatchObject({ accessModes: ["ReadWriteOnce"], storageClassName: "ebs-gp3", resources: { requests: { storage: "20Gi" } } });
    const spec = pod(objs, "Deployment", "gosty-fileserver");
    const mount = (spec.containers[0].volumeMounts as Obj[]).find((m) => m.mountPath === FILE_SERVER_STORAGE_PATH)!;
    expect((spec.volumes as Obj[]).find((v) => v.name === mount.name)!.persistentVolumeClaim.claimName).toBe("gosty-fileserver-storage");
    expect(one(objs, "Deployment", "gosty-fileserver").spec.strategy).toEqual({ type: "Recreate" });
    const kind = synth({ fileServer: { storageSize: "5Gi" } }, { storageClass: "standard" });
    expect(one(kind, "PersistentVolumeClaim", "gosty-fileserver-storage").spec).toMatchObject({
      storageClassName: "standard",
      resources: { requests: { storage: "5Gi" } },
    });
  });

  test("workers are autoscaled on CPU, with CPU requests and no fixed replica count", () => {
    const hpa = one(objs, "HorizontalPodAutoscaler", "gosty-worker");
    expect(hpa.spec.scaleTargetRef).toMatchObject({ kind: "Deployment", name: "gosty-worker" });
    expect(hpa.spec).toMatchObject({ minReplicas: 1, maxReplicas: 10 });
    expect(hpa.spec.metrics[0].resource).toMatchObject({ name: "cpu", target: { averageUtilization: 70 } });
    expect(one(objs, "Deployment", "gosty-worker").spec.replicas).toBeUndefined();
    expect(main(objs, "Deployment", "gosty-worker").resources.requests.cpu).toBe("500m");
    const tuned = one(synth({ worker: { autoscaling: { minReplicas: 2, maxReplicas: 30, cpuUtilization: 60 } } }), "HorizontalPodAutoscaler", "gosty-worker");
    expect(tuned.spec).toMatchObject({ minReplicas: 2, maxReplicas: 30 });
    expect(parseError({ worker: { autoscaling: { minReplicas: 5, maxReplicas: 2 } } })).toContain("gosty.worker.autoscaling.minReplicas");
  });

  test("connection settings reach the apps through a ConfigMap and credentials through Secret references", () => {
    const cm = one(objs, "ConfigMap", GOSTY_CONFIG_MAP);
    expect(cm.data).toMatchObject({
      MONGODB_SERVICE_HOST: "mongodb.gosty.svc",
      MONGODB_SERVICE_PORT: "27017",
      MONGODB_DATABASE: "gosty",
      RABBIT_RABBITMQ_SERVICE_HOST: "rabbitmq.gosty.svc",
      RABBIT_RABBITMQ_SERVICE_PORT: "5672",
      GOSTY_FILESERVER_SERVICE_HOST: "gosty-fileserver.gosty.svc",
    });
    expect(JSON.stringify(cm.data)).not.toMatch(/PASSWORD|USERNAME/);
    for (const name of ["gosty-apiserver", "gosty-fileserver", "gosty-worker"]) {
      const c = main(objs, "Deployment", name);
      expect(c.envFrom).toEqual([{ configMapRef: { name: GOSTY_CONFIG_MAP } }]);
      expect(env(c, "MONGODB_PASSWORD")?.valueFrom.secretKeyRef).toEqual({ name: "gosty-mongodb", key: "password" });
      expect(env(c, "MONGODB_USERNAME")?.valueFrom.secretKeyRef).toEqual({ name: "gosty-mongodb", key: "username" });
      expect(env(c, "RABBITMQ_PASSWORD")?.valueFrom.secretKeyRef).toEqual({ name: "gosty-rabbitmq", key: "password" });
      expect(env(c, "RABBITMQ_USERNAME")?.valueFrom.secretKeyRef).toEqual({ name: "gosty-rabbitmq", key: "username" });
    }
    expect(ofKind(full, "Secret")).toEqual([]);
  });

  test("RabbitMQ: pinned official image, StatefulSet with a claim template of the configured class", () => {
    const sts = one(objs, "StatefulSet", "rabbitmq");
    expect(sts.spec.template.spec.containers[0].image).toBe(DEFAULT_RABBITMQ_IMAGE);
    expect(DEFAULT_RABBITMQ_IMAGE).toMatch(/^rabbitmq:4\.\d+\.\d+-management$/);
    expect(sts.spec.serviceName).toBe("rabbitmq-headless");
    expect(sts.spec.volumeClaimTemplates).toEqual([
      expect.objectContaining({
        metadata: expect.objectContaining({ name: "data" }),
        spec: { accessModes: ["ReadWriteOnce"], storageClassName: "ebs-gp3", resources: { requests: { storage: "8Gi" } } },
      }),
    ]);
    const mount = (sts.spec.template.spec.containers[0].volumeMounts as Obj[]).find((m) => m.name === "data")!;
    expect(mount.mountPath).toBe("/var/lib/rabbitmq");
    const kind = one(synth({ rabbitmq: { storageSize: "2Gi" } }, { storageClass: "standard" }), "StatefulSet", "rabbitmq");
    expect(kind.spec.volumeClaimTemplates[0].spec).toMatchObject({ storageClassName: "standard", resources: { requests: { storage: "2Gi" } } });
  });

  test("RabbitMQ's Erlang cookie and default user come from the Secret", () => {
    const spec = pod(objs, "StatefulSet", "rabbitmq");
    const cookieVolume = (spec.volumes as Obj[]).find((v) => v.secret?.secretName === "gosty-rabbitmq");
    expect(cookieVolume).toBeDefined();
    const init = spec.initContainers[0];
    expect(init.volumeMounts.map((m: Obj) => m.name)).toEqual(expect.arrayContaining([cookieVolume!.name, "data"]));
    // The init container runs erlang-cookie.sh (from the rabbitmq-scripts ConfigMap) on the Secret's file.
    expect(init.command).toEqual(["sh", "/scripts/erlang-cookie.sh", "/run/erlang-cookie/erlang-cookie", "/var/lib/rabbitmq/.erlang.cookie"]);
    expect(scriptOf(objs, spec, init, "/scripts/erlang-cookie.sh")).toContain('chmod 0400 "$dest"');
    const c = spec.containers[0];
    expect(env(c, "HOME")?.value).toBe("/var/lib/rabbitmq");
    expect(env(c, "RABBITMQ_DEFAULT_USER")?.valueFrom.secretKeyRef).toEqual({ name: "gosty-rabbitmq", key: "username" });
    expect(env(c, "RABBITMQ_DEFAULT_PASS")?.valueFrom.secretKeyRef).toEqual({ name: "gosty-rabbitmq", key: "password" });
    const renamed = pod(synth({ rabbitmq: { secret: { name: "mq", erlangCookieKey: "cookie" } } }), "StatefulSet", "rabbitmq");
    expect((renamed.volumes as Obj[]).some((v) => v.secret?.secretName === "mq")).toBe(true);
    expect(renamed.initContainers[0].command.join(" ")).toContain("/run/erlang-cookie/cookie");
  });

  test("RabbitMQ nodes cluster through k8s peer discovery and stable headless names", () => {
    const config = one(objs, "ConfigMap", "rabbitmq-config").data;
    expect(config["gosty.conf"]).toContain("cluster_formation.peer_discovery_backend = k8s");
    expect(config.enabled_plugins).toContain("rabbitmq_peer_discovery_k8s");
    const c = main(full, "StatefulSet", "rabbitmq");
    expect(env(c, "RABBITMQ_USE_LONGNAME")?.value).toBe("true");
    expect(env(c, "RABBITMQ_NODENAME")?.value).toBe("rabbit@$(POD_NAME).rabbitmq-headless.$(POD_NAMESPACE)");
    // $(POD_NAME) only expands when POD_NAME is defined earlier in the list.
    const names = (c.env as Obj[]).map((e) => e.name);
    expect(names.indexOf("POD_NAME")).toBeLessThan(names.indexOf("RABBITMQ_NODENAME"));
    const sts = one(full, "StatefulSet", "rabbitmq");
    expect(sts.spec.replicas).toBe(3);
    expect(sts.spec.podManagementPolicy).toBe("Parallel");
    const headless = one(full, "Service", "rabbitmq-headless");
    expect(headless.spec).toMatchObject({ clusterIP: "None", publishNotReadyAddresses: true });
    expect(headless.spec.ports.map((p: Obj) => p.port)).toEqual(expect.arrayContaining([4369, 25672]));
    expect(one(full, "PodDisruptionBudget", "rabbitmq").spec.maxUnavailable).toBe(1);
    expect(c.lifecycle.preStop.exec.command).toEqual(["sh", "/scripts/rabbitmq-drain.sh"]);
    expect(scriptOf(full, sts.spec.template.spec, c, "/scripts/rabbitmq-drain.sh")).toContain("rabbitmq-upgrade drain");
    expect(ofKind(objs, "PodDisruptionBudget").map((p) => p.metadata.name)).not.toContain("rabbitmq");
    expect(parseError({ rabbitmq: { replicas: 2 } })).toContain("gosty.rabbitmq.replicas");
  });

  test("MongoDB: pinned official image, claim template of the configured class, root credentials from the Secret", () => {
    const sts = one(objs, "StatefulSet", "mongodb");
    const c = sts.spec.template.spec.containers[0];
    expect(c.image).toBe(DEFAULT_MONGODB_IMAGE);
    expect(DEFAULT_MONGODB_IMAGE).toMatch(/^mongo:8\.\d+\.\d+$/);
    expect(sts.spec.volumeClaimTemplates[0].spec).toMatchObject({ storageClassName: "ebs-gp3", resources: { requests: { storage: "10Gi" } } });
    expect((c.volumeMounts as Obj[]).find((m) => m.name === "data")!.mountPath).toBe("/data/db");
    expect(env(c, "MONGO_INITDB_ROOT_USERNAME")?.valueFrom.secretKeyRef).toEqual({ name: "gosty-mongodb", key: "username" });
    expect(env(c, "MONGO_INITDB_ROOT_PASSWORD")?.valueFrom.secretKeyRef).toEqual({ name: "gosty-mongodb", key: "password" });
    // 1Gi limit: (1024 - 256) / 2 MiB of WiredTiger cache.
    expect(c.args.join(" ")).toContain("--wiredTigerCacheSizeGB 0.37");
    const kind = one(synth({ mongodb: { secret: { name: "db" } } }, { storageClass: "local-path" }), "StatefulSet", "mongodb");
    expect(kind.spec.volumeClaimTemplates[0].spec.storageClassName).toBe("local-path");
    expect(env(kind.spec.template.spec.containers[0], "MONGO_INITDB_ROOT_PASSWORD")?.valueFrom.secretKeyRef.name).toBe("db");
  });

  test("no container's liveness probe repeats its readiness probe", () => {
    const same = (r: Obj, l: Obj): boolean =>
      Boolean(
        (r.httpGet && l.httpGet && r.httpGet.path === l.httpGet.path && r.httpGet.port === l.httpGet.port) ||
          (r.tcpSocket && l.tcpSocket && r.tcpSocket.port === l.tcpSocket.port) ||
          (r.exec && l.exec && JSON.stringify(r.exec.command) === JSON.stringify(l.exec.command)),
      );
    const workloads = full.filter((o) => ["Deployment", "StatefulSet"].includes(o.kind));
    expect(workloads.length).toBeGreaterThanOrEqual(7);
    for (const w of workloads) {
      for (const c of w.spec.template.spec.containers as Obj[]) expect([w.metadata.name, same(c.readinessProbe, c.livenessProbe)]).toEqual([w.metadata.name, false]);
    }
    expect(main(objs, "StatefulSet", "mongodb").livenessProbe.exec.command).toContain("db.adminCommand('ping').ok");
  });

  test("the datastores' probes: TCP on their numeric ports, exec checks, timings and shutdown as before", () => {
    const rabbit = main(objs, "StatefulSet", "rabbitmq");
    expect(rabbit.readinessProbe).toEqual({ tcpSocket: { port: 5672 }, periodSeconds: 10, timeoutSeconds: 5, failureThreshold: 3 });
    expect(rabbit.startupProbe).toMatchObject({ tcpSocket: { port: 5672 }, failureThreshold: 60 });
    expect(rabbit.livenessProbe).toMatchObject({ exec: { command: ["rabbitmq-diagnostics", "-q", "ping"] }, periodSeconds: 60, timeoutSeconds: 20 });
    expect(main(objs, "StatefulSet", "mongodb").readinessProbe).toMatchObject({ tcpSocket: { port: 27017 } });
    const es = main(full, "StatefulSet", "elasticsearch");
    expect(es.livenessProbe).toMatchObject({ tcpSocket: { port: 9200 }, periodSeconds: 20, failureThreshold: 6 });
    expect(es.readinessProbe.exec.command).toEqual(["sh", "/scripts/elasticsearch-ready.sh"]);
    expect(pod(full, "StatefulSet", "elasticsearch")).toMatchObject({ terminationGracePeriodSeconds: 120, securityContext: { runAsUser: 1000, fsGroup: 1000 } });
    expect(pod(objs, "StatefulSet", "rabbitmq").terminationGracePeriodSeconds).toBe(60);
  });

  test("Elasticsearch keeps a read-only root: its config directory is a scratch volume seeded from the image", () => {
    const spec = pod(full, "StatefulSet", "elasticsearch");
    const c = spec.containers[0];
    expect(c.securityContext.readOnlyRootFilesystem).toBe(true);
    const configMount = (c.volumeMounts as Obj[]).find((m) => m.mountPath === "/usr/share/elasticsearch/config")!;
    expect((spec.volumes as Obj[]).find((v) => v.name === configMount.name)).toEqual({ name: configMount.name, emptyDir: {} });
    const init = spec.initContainers[0];
    expect(init.volumeMounts).toEqual([{ name: configMount.name, mountPath: "/seed" }]);
    expect(init.command.join(" ")).toContain("cp -a /usr/share/elasticsearch/config/. /seed/");
  });

  test("stateful pods run restricted: non-root, read-only root, no token", () => {
    for (const name of ["rabbitmq", "mongodb"]) {
      const spec = pod(objs, "StatefulSet", name);
      expect(spec.securityContext).toMatchObject({ runAsNonRoot: true, runAsUser: 999, fsGroup: 999 });
      expect(spec.automountServiceAccountToken).toBe(false);
      expect(spec.containers[0].securityContext).toMatchObject({
        readOnlyRootFilesystem: true,
        allowPrivilegeEscalation: false,
        capabilities: { drop: ["ALL"] },
      });
    }
  });

  test("every component admits only its callers: the datastores Gosty's API server and workers (and Prometheus, FluentD on their ports)", () => {
    const policies = Object.fromEntries(ofKind(full, "NetworkPolicy").map((p) => [p.metadata.name, p.spec]));
    // default-deny-ingress and deny-instance-metadata: every AppNamespace's (constructs/app-namespace.ts).
    expect(Object.keys(policies).sort()).toEqual([
      "default-deny-ingress",
      "deny-instance-metadata",
      "elasticsearch-callers",
      "gosty-acme-http01-solver",
      "gosty-apiserver-callers",
      "gosty-fileserver-callers",
      "gosty-from-ingress-controller",
      "gosty-worker-callers",
      "kibana-callers",
      "mongodb-callers",
      "rabbitmq-callers",
    ]);
    const pods = (name: string) => ({ podSelector: { matchLabels: { "app.kubernetes.io/name": name } } });
    const tcp = (port: number) => [{ protocol: "TCP", port }];
    expect(policies["mongodb-callers"]).toEqual({
      podSelector: { matchLabels: { "app.kubernetes.io/name": "mongodb" } },
      policyTypes: ["Ingress"],
      ingress: [
        { from: [pods("gosty-apiserver")], ports: tcp(27017) },
        { from: [pods("gosty-worker")], ports: tcp(27017) },
      ],
    });
    expect(policies["rabbitmq-callers"].ingress).toContainEqual({
      from: [{ namespaceSelector: { matchLabels: { "kubernetes.io/metadata.name": "monitoring" } }, podSelector: { matchLabels: { "app.kubernetes.io/name": "prometheus" } } }],
      ports: tcp(15692),
    });
    expect(policies["elasticsearch-callers"].ingress).toContainEqual({
      from: [{ namespaceSelector: { matchLabels: { "kubernetes.io/metadata.name": "logging" } }, podSelector: { matchLabels: { "app.kubernetes.io/name": "fluentd" } } }],
      ports: tcp(9200),
    });
    // The selectors name pods that exist, by the labels they carry.
    const names = full.filter((o) => ["Deployment", "StatefulSet", "Job"].includes(o.kind)).map((w) => w.spec.template.metadata.labels["app.kubernetes.io/name"]);
    expect(names).toEqual(expect.arrayContaining(["gosty-apiserver", "gosty-worker", "kibana", "kibana-system-password"]));
    expect(ofKind(objs, "NetworkPolicy").map((p) => p.metadata.name)).not.toContain("elasticsearch-callers");
  });

  test("the API server is exposed through the TLS ingress at the configured host", () => {
    const ing = one(objs, "Ingress", "gosty");
    expect(ing.spec.rules[0].host).toBe("gosty.apps.example.com");
    expect(ing.spec.rules[0].http.paths[0].backend.service).toEqual({ name: "gosty-apiserver", port: { number: 80 } });
    expect(one(synth({ apiServer: { host: "videos.example.org" } }), "Ingress", "gosty").spec.tls[0].hosts).toEqual(["videos.example.org"]);
  });

  test("Elasticsearch and Kibana appear only when logging is enabled", () => {
    for (const [kind, name] of [
      ["StatefulSet", "elasticsearch"],
      ["Deployment", "kibana"],
      ["Job", "kibana-system-password"],
    ]) {
      expect(objs.filter((o) => o.kind === kind && o.metadata.name === name)).toEqual([]);
      one(full, kind, name);
    }
    const es = one(full, "StatefulSet", "elasticsearch");
    const c = es.spec.template.spec.containers[0];
    expect(c.image).toBe(DEFAULT_ELASTICSEARCH_IMAGE);
    expect(DEFAULT_ELASTICSEARCH_IMAGE).toMatch(/^docker\.elastic\.co\/elasticsearch\/elasticsearch:\d+\.\d+\.\d+$/);
    expect(es.spec.volumeClaimTemplates[0].spec.storageClassName).toBe("ebs-gp3");
    expect(env(c, "ELASTIC_PASSWORD")?.valueFrom.secretKeyRef).toEqual({ name: "gosty-elasticsearch", key: "elastic-password" });
    expect(env(c, "ES_JAVA_OPTS")?.value).toBe("-Xms1024m -Xmx1024m");
    const kibana = main(full, "Deployment", "kibana");
    expect(kibana.image).toBe(DEFAULT_KIBANA_IMAGE);
    expect(DEFAULT_KIBANA_IMAGE.split(":")[1]).toBe(DEFAULT_ELASTICSEARCH_IMAGE.split(":")[1]);
    expect(env(kibana, "ELASTICSEARCH_PASSWORD")?.valueFrom.secretKeyRef).toEqual({ name: "gosty-elasticsearch", key: "kibana-password" });
    const jobPod = pod(full, "Job", "kibana-system-password");
    const job = jobPod.containers[0];
    expect(job.env.filter((e: Obj) => e.valueFrom).map((e: Obj) => e.valueFrom.secretKeyRef.key).sort()).toEqual(["elastic-password", "kibana-password"]);
    expect(env(job, "ELASTICSEARCH_URL")?.value).toBe("http://elasticsearch:9200");
    expect(job.command).toEqual(["sh", "/scripts/kibana-system-password.sh"]);
    expect(scriptOf(full, jobPod, job, "/scripts/kibana-system-password.sh")).toContain("/_security/user/kibana_system/_password");
    expect(c.readinessProbe.exec.command).toEqual(["sh", "/scripts/elasticsearch-ready.sh"]);
    expect(scriptOf(full, es.spec.template.spec, c, "/scripts/elasticsearch-ready.sh")).toContain("/_cluster/health?local=true");
  });

  test("Linkerd injection is annotated on the namespace only when enabled", () => {
    expect(one(objs, "Namespace", GOSTY_NAMESPACE).metadata.annotations?.["linkerd.io/inject"]).toBeUndefined();
    expect(one(full, "Namespace", GOSTY_NAMESPACE).metadata.annotations["linkerd.io/inject"]).toBe("enabled");
  });

  test("Chaos Mesh experiments appear only when enabled, typed from the CRDs", () => {
    expect(objs.filter((o) => o.apiVersion?.startsWith("chaos-mesh.org/"))).toEqual([]);
    const kill = one(full, "PodChaos", "gosty-worker-pod-kill");
    expect(kill.apiVersion).toBe("chaos-mesh.org/v1alpha1");
    expect(kill.spec).toEqual({
      action: "pod-kill",
      mode: "fixed-percent",
      value: "50",
      selector: { namespaces: [GOSTY_NAMESPACE], labelSelectors: { "app.kubernetes.io/name": "gosty-worker" } },
    });
    const delay = one(full, "NetworkChaos", "gosty-apiserver-rabbitmq-delay");
    expect(delay.spec).toMatchObject({
      action: "delay",
      direction: "to",
      selector: { labelSelectors: { "app.kubernetes.io/name": "gosty-apiserver" } },
      target: { mode: "all", selector: { labelSelectors: { "app.kubernetes.io/name": "rabbitmq" } } },
      delay: { latency: "200ms" },
      duration: "5m",
    });
    const tuned = synth({ chaos: { enabled: true, podKillPercent: 25, networkDelay: "1s", networkDelayDuration: "30s" } });
    expect(one(tuned, "PodChaos", "gosty-worker-pod-kill").spec.value).toBe("25");
    expect(one(tuned, "NetworkChaos", "gosty-apiserver-rabbitmq-delay").spec).toMatchObject({ delay: { latency: "1s" }, duration: "30s" });
    expect(parseError({ chaos: { networkDelay: "soon" } })).toContain("gosty.chaos.networkDelay");
  });

  test("lists the Secrets Pulumi must generate", () => {
    const bare = gostyRequiredSecrets(parseValues({}).gosty);
    expect(bare.map((s) => s.name)).toEqual(["gosty-rabbitmq", "gosty-mongodb"]);
    expect(Object.keys(bare[0].keys).sort()).toEqual(["erlang-cookie", "password", "username"]);
    expect(bare[0].keys["erlang-cookie"].generate).toEqual({ kind: "random", length: 64 });
    expect(gostyRequiredSecrets(parseValues({ gosty: ALL_OPTIONS }).gosty).map((s) => s.name)).toContain("gosty-elasticsearch");
  });

  test("unknown keys and bad sizes are rejected with their keys", () => {
    expect(parseError({ rabbitmq: { erlangCookie: "abc" } })).toContain("gosty.rabbitmq.erlangCookie");
    expect(parseError({ mongodb: { storageSize: "10GB" } })).toContain("gosty.mongodb.storageSize");
    expect(parseError({ logging: { enabled: "yes" } })).toContain("gosty.logging.enabled");
    expect(parseError({ mongodb: { database: "a b" } })).toContain("gosty.mongodb.database");
  });
});

describe("Gosty environment variants", () => {
  const file = (name: string) => parseValues(parse(fs.readFileSync(path.join(__dirname, "../../../values", name), "utf8")), name);
  const variant = (name: string) => synthValues(file(name));

  test("the local variant is small: one broker, kind's storage class, local images", () => {
    const objs = variant("gosty-local.yaml");
    assertChartInvariants(objs);
    expect(one(objs, "StatefulSet", "rabbitmq").spec.replicas).toBe(1);
    expect(one(objs, "StatefulSet", "mongodb").spec.volumeClaimTemplates[0].spec.storageClassName).toBe("standard");
    expect(one(objs, "HorizontalPodAutoscaler", "gosty-worker").spec.maxReplicas).toBe(2);
    expect(main(objs, "Deployment", "gosty-apiserver").image).toBe("localhost:5000/gosty-apiserver:dev");
    expect(objs.filter((o) => o.apiVersion === "chaos-mesh.org/v1alpha1").map((o) => o.kind).sort()).toEqual(["NetworkChaos", "PodChaos"]);
    expect(objs.filter((o) => ["StatefulSet", "Deployment"].includes(o.kind)).map((o) => o.metadata.name).sort()).toEqual(
      ["gosty-apiserver", "gosty-fileserver", "gosty-worker", "mongodb", "rabbitmq"],
    );
  });

  test("the production variant clusters RabbitMQ, adds logging and the mesh", () => {
    const objs = variant("gosty-production.yaml");
    assertChartInvariants(objs);
    expect(one(objs, "StatefulSet", "rabbitmq").spec.replicas).toBe(3);
    one(objs, "StatefulSet", "elasticsearch");
    expect(one(objs, "Namespace", GOSTY_NAMESPACE).metadata.annotations["linkerd.io/inject"]).toBe("enabled");
    expect(main(objs, "Deployment", "gosty-worker").image).toBe("123456789012.dkr.ecr.eu-west-1.amazonaws.com/gosty/worker:1.4.0");
    expect(one(objs, "Certificate", "gosty").spec.issuerRef.name).toBe("platform-acme");
  });
});
