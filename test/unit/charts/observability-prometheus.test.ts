import * as fs from "fs";
import * as path from "path";
import { Testing } from "cdk8s";
import { parse } from "yaml";
import { KSM_RESOURCES, PROMETHEUS_NAMES, PrometheusChart } from "../../../charts/prometheus/chart";
import { ALERT } from "../../../charts/prometheus/rules";
import { JOB, jobNames } from "../../../charts/prometheus/scrape-config";
import { PROMETHEUS_NAMESPACE } from "../../../charts/prometheus/values";
import { parseValues } from "../../../charts/values";
import { assertChartInvariants } from "./invariants";

type Obj = Record<string, any>; // eslint-disable-line @typescript-eslint/no-explicit-any

function synth(raw: unknown = {}): Obj[] {
  return Testing.synth(new PrometheusChart(Testing.app(), "p", { values: parseValues(raw) })) as Obj[];
}
const one = (objs: Obj[], kind: string, name: string): Obj => {
  const found = objs.filter((o) => o.kind === kind && o.metadata.name === name);
  expect(found).toHaveLength(1);
  return found[0];
};
const configOf = (objs: Obj[]) => parse(one(objs, "ConfigMap", PROMETHEUS_NAMES.config).data["prometheus.yml"]);
const rulesOf = (objs: Obj[]) => parse(one(objs, "ConfigMap", PROMETHEUS_NAMES.rules).data["alerts.yml"]);
const job = (config: Obj, name: string): Obj => {
  const found = config.scrape_configs.filter((j: Obj) => j.job_name === name);
  expect(found).toHaveLength(1);
  return found[0];
};

describe("PrometheusChart", () => {
  const objs = synth();

  test("follows the chart invariants", () => {
    assertChartInvariants(objs);
  });

  test("everything namespaced lives in the monitoring namespace", () => {
    const clusterScoped = new Set(["Namespace", "ClusterRole", "ClusterRoleBinding"]);
    for (const o of objs.filter((x) => !clusterScoped.has(x.kind))) expect(o.metadata.namespace).toBe(PROMETHEUS_NAMESPACE);
  });

  test("the config parses as YAML and has a job for every required target", () => {
    const config = configOf(objs);
    expect(jobNames(config)).toEqual(
      expect.arrayContaining([
        JOB.apiserver,
        JOB.kubelet,
        JOB.cadvisor,
        JOB.nodeExporter,
        JOB.kubeStateMetrics,
        JOB.pods,
        JOB.serviceEndpoints,
        JOB.ingressController,
        JOB.certManager,
      ]),
    );
    expect(new Set(jobNames(config)).size).toBe(jobNames(config).length);
    expect(job(config, JOB.cadvisor).metrics_path).toBe("/metrics/cadvisor");
    expect(config.rule_files).toEqual(["/etc/prometheus/rules/*.yml"]);
  });

  test("API server and kubelet jobs authenticate with the ServiceAccount token over TLS", () => {
    const config = configOf(objs);
    for (const name of [JOB.apiserver, JOB.kubelet, JOB.cadvisor]) {
      const j = job(config, name);
      expect(j.scheme).toBe("https");
      expect(j.authorization.credentials_file).toBe("/var/run/secrets/kubernetes.io/serviceaccount/token");
    }
    // The API server certificate is signed by the cluster CA: always verified.
    expect(job(config, JOB.apiserver).tls_config.insecure_skip_verify).toBeUndefined();
    // The platform's kubelets serve certificates signed by the cluster CA (serverTLSBootstrap): verified by default.
    for (const name of [JOB.kubelet, JOB.cadvisor]) {
      expect(job(config, name).tls_config).toEqual({ ca_file: "/var/run/secrets/kubernetes.io/serviceaccount/ca.crt" });
    }
    // A cluster whose kubelets sign their own certificates (kind) opts out.
    const unverified = configOf(synth({ prometheus: { verifyKubeletCertificates: false } }));
    expect(job(unverified, JOB.kubelet).tls_config.insecure_skip_verify).toBe(true);
    expect(job(unverified, JOB.cadvisor).tls_config.insecure_skip_verify).toBe(true);
  });

  test("the add-on jobs follow the configured namespaces and ports", () => {
    const config = configOf(
      synth({ prometheus: { ingressController: { namespace: "ingress", metricsPort: 9999 }, certManager: { namespace: "cm" } } }),
    );
    const ingress = job(config, JOB.ingressController);
    expect(ingress.kubernetes_sd_configs[0].namespaces.names).toEqual(["ingress"]);
    expect(ingress.relabel_configs[0]).toMatchObject({ action: "keep", regex: "9999" });
    expect(job(config, JOB.certManager).kubernetes_sd_configs[0].namespaces.names).toEqual(["cm"]);
    // Their pods are not scraped a second time through the annotation job.
    const pods = job(config, JOB.pods);
    expect(pods.relabel_configs[0]).toMatchObject({ action: "drop", regex: "ingress|cm" });
  });

  test("ships the six required alerts with the configured thresholds", () => {
    const rules = rulesOf(synth({ prometheus: { alerts: { certificateExpiryDays: 7 } } }));
    const all: Obj[] = rules.groups.flatMap((g: Obj) => g.rules);
    const names = all.map((r) => r.alert);
    for (const a of [ALERT.nodeNotReady, ALERT.podCrashLooping, ALERT.hpaAtMax, ALERT.volumeNearlyFull, ALERT.certificateExpiring, ALERT.targetDown]) {
      expect(names).toContain(a);
    }
    const byName = (n: string) => all.find((r) => r.alert === n) as Obj;
    expect(byName(ALERT.hpaAtMax).for).toBe("15m");
    expect(byName(ALERT.certificateExpiring).expr).toContain(`< ${7 * 86400}`);
    expect(byName(ALERT.certificateExpiring).expr).toContain("certmanager_certificate_expiration_timestamp_seconds");
  });

  test("ships the etcd snapshot alerts unless prometheus.alerts.etcdBackups is false (values/kind.yaml: nothing snapshots kind's etcd)", () => {
    const alertNames = (o: Obj[]) => rulesOf(o).groups.flatMap((g: Obj) => g.rules.map((r: Obj) => r.alert));
    expect(alertNames(objs)).toEqual(expect.arrayContaining([ALERT.etcdBackupMissing, ALERT.etcdBackupFailed]));
    const off = alertNames(synth({ prometheus: { alerts: { etcdBackups: false } } }));
    expect(off).not.toContain(ALERT.etcdBackupMissing);
    expect(off).not.toContain(ALERT.etcdBackupFailed);
    // Only those two go: every other alert stays.
    expect(off).toEqual(alertNames(objs).filter((a: string) => a !== ALERT.etcdBackupMissing && a !== ALERT.etcdBackupFailed));
    const kind = parse(fs.readFileSync(path.join(__dirname, "../../../values/kind.yaml"), "utf8"));
    expect(kind.prometheus.alerts.etcdBackups).toBe(false);
    expect(() => synth({ prometheus: { alerts: { etcdBackups: "no" } } })).toThrow(/prometheus\.alerts\.etcdBackups/);
  });

  test("data on a PVC of the configured class and size; retention from values", () => {
    const pvc = one(objs, "PersistentVolumeClaim", PROMETHEUS_NAMES.data);
    expect(pvc.spec.storageClassName).toBe("ebs-gp3");
    expect(pvc.spec.resources.requests.storage).toBe("20Gi");
    const custom = synth({ global: { storageClass: "standard" }, prometheus: { storage: { size: "50Gi" }, retention: "30d" } });
    const pvc2 = one(custom, "PersistentVolumeClaim", PROMETHEUS_NAMES.data);
    expect(pvc2.spec.storageClassName).toBe("standard");
    expect(pvc2.spec.resources.requests.storage).toBe("50Gi");
    const args: string[] = one(custom, "Deployment", "prometheus").spec.template.spec.containers[0].args;
    expect(args).toContain("--storage.tsdb.retention.time=30d");
    // The size cap keeps the volume from filling: 85% of 50Gi.
    expect(args).toContain("--storage.tsdb.retention.size=42GB");
  });

  test("Prometheus runs as nobody with a Recreate strategy and a config reloader sidecar", () => {
    const d = one(objs, "Deployment", "prometheus");
    expect(d.spec.strategy.type).toBe("Recreate");
    const pod = d.spec.template.spec;
    expect(pod.securityContext).toMatchObject({ runAsNonRoot: true, runAsUser: 65534, fsGroup: 65534 });
    const [prom, reloader] = pod.containers;
    expect(prom.image).toMatch(/^quay\.io\/prometheus\/prometheus:v\d+\.\d+\.\d+$/);
    expect(prom.args).toContain("--web.enable-lifecycle");
    expect(reloader.image).toMatch(/prometheus-config-reloader:v\d+\.\d+\.\d+$/);
    expect(reloader.args).toEqual(
      expect.arrayContaining(["--watched-dir=/etc/prometheus/config", "--watched-dir=/etc/prometheus/rules", "--reload-url=http://127.0.0.1:9090/-/reload"]),
    );
    for (const c of pod.containers) expect(c.securityContext.readOnlyRootFilesystem).toBe(true);
  });

  test("RBAC grants only what discovery and scraping need", () => {
    const role = one(objs, "ClusterRole", "prometheus");
    const verbs = new Set(role.rules.flatMap((r: Obj) => r.verbs));
    expect([...verbs].sort()).toEqual(["get", "list", "watch"]);
    const resources = role.rules.flatMap((r: Obj) => r.resources ?? []);
    expect(resources.sort()).toEqual(["endpoints", "endpointslices", "nodes", "nodes/metrics", "pods", "services"]);
    expect(role.rules.find((r: Obj) => r.nonResourceURLs)?.nonResourceURLs).toEqual(["/metrics"]);
    const binding = one(objs, "ClusterRoleBinding", "prometheus");
    expect(binding.subjects).toEqual([{ kind: "ServiceAccount", name: "prometheus", namespace: PROMETHEUS_NAMESPACE }]);
  });

  test("only Grafana reaches Prometheus; only Prometheus reaches kube-state-metrics; node-exporter (host network) has no policy", () => {
    const prom = one(objs, "NetworkPolicy", "prometheus-callers");
    expect(prom.spec.podSelector.matchLabels).toEqual({ "app.kubernetes.io/name": "prometheus" });
    expect(prom.spec.ingress).toEqual([
      {
        from: [
          {
            namespaceSelector: { matchLabels: { "kubernetes.io/metadata.name": "grafana" } },
            podSelector: { matchLabels: { "app.kubernetes.io/name": "grafana" } },
          },
        ],
        ports: [{ protocol: "TCP", port: 9090 }],
      },
    ]);
    const ksm = one(objs, "NetworkPolicy", "kube-state-metrics-callers");
    expect(ksm.spec.ingress[0].from).toEqual([
      {
        namespaceSelector: { matchLabels: { "kubernetes.io/metadata.name": "monitoring" } },
        podSelector: { matchLabels: { "app.kubernetes.io/name": "prometheus" } },
      },
    ]);
    // The probes reach the telemetry port from the kubelet (host), which NetworkPolicy does not filter.
    expect(ksm.spec.ingress[0].ports).toEqual([{ protocol: "TCP", port: 8080 }]);
    expect(objs.filter((o) => o.kind === "NetworkPolicy" && o.metadata.name.startsWith("node-exporter"))).toEqual([]);
  });

  test("node-exporter: host network and PID, read-only host mounts, every taint tolerated", () => {
    const ds = one(objs, "DaemonSet", "node-exporter");
    const pod = ds.spec.template.spec;
    expect(pod.hostNetwork).toBe(true);
    expect(pod.hostPID).toBe(true);
    expect(pod.tolerations).toEqual([{ operator: "Exists" }]);
    const c = pod.containers[0];
    expect(c.volumeMounts.length).toBeGreaterThan(0);
    for (const m of c.volumeMounts) expect(m.readOnly).toBe(true);
    expect(pod.volumes.map((v: Obj) => v.hostPath.path).sort()).toEqual(["/", "/proc", "/sys"]);
    expect(c.securityContext).toMatchObject({ runAsNonRoot: true, allowPrivilegeEscalation: false });
  });

  test("kube-state-metrics may list and watch exactly the resources it reports", () => {
    const role = one(objs, "ClusterRole", "kube-state-metrics");
    const granted = role.rules.flatMap((r: Obj) => r.resources.map((res: string) => `${r.apiGroups[0]}/${res}`)).sort();
    expect(granted).toEqual(KSM_RESOURCES.map((r) => `${r.apiGroup}/${r.resource}`).sort());
    expect(granted).not.toContain("/secrets");
    for (const r of role.rules) expect(r.verbs).toEqual(["list", "watch"]);
    const args: string[] = one(objs, "Deployment", "kube-state-metrics").spec.template.spec.containers[0].args;
    expect(args).toContain(`--resources=${KSM_RESOURCES.map((r) => r.flag).join(",")}`);
  });
});
