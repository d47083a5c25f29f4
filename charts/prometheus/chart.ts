import { Chart, Duration } from "cdk8s";
import * as kplus from "cdk8s-plus-28";
import { KubeClusterRole, KubeClusterRoleBinding, KubeConfigMap, KubePersistentVolumeClaim, Quantity } from "cdk8s-plus-28/lib/imports/k8s";
import { Construct } from "constructs";
import { stringify } from "yaml";
import { AppNamespace } from "../../constructs/app-namespace";
import { Peer } from "../../constructs/caller-policy";
import { HostDaemonSet } from "../../constructs/host-daemon-set";
import { Microservice } from "../../constructs/microservice";
import { alertingRules } from "./rules";
import {
  KUBE_STATE_METRICS_PORT,
  NODE_EXPORTER_PORT,
  PROMETHEUS_PORT,
  prometheusConfig,
  RULES_DIR,
} from "./scrape-config";
import { PROMETHEUS_PODS } from "../../lib/platform-pods";
import { GRAFANA_NAMESPACE, GRAFANA_SERVER_NAME } from "../grafana/values";
import { PROMETHEUS_NAMESPACE, PrometheusValues } from "./values";

/** UID and GID of `nobody`, the user the Prometheus, node-exporter and kube-state-metrics images run as. */
const NOBODY = 65534;
const PART_OF = "prometheus";
const CONFIG_DIR = "/etc/prometheus/config";
const DATA_DIR = "/prometheus";
const RELOADER_PORT = 8080;
const KSM_TELEMETRY_PORT = 8081;
/** Probe timings of every component: a slow answer within 5 s is not a failure. */
const PROBE_TIMINGS = { periodSeconds: Duration.seconds(10), timeoutSeconds: Duration.seconds(5), failureThreshold: 3 };

/** Labels on every object besides `name` and `part-of`. */
function extraLabels(component: string): Record<string, string> {
  return { "app.kubernetes.io/component": component, "app.kubernetes.io/managed-by": "cdk8s" };
}

/** Labels of the objects the workload constructs do not create (RBAC, ConfigMaps, claims, policies). */
function appLabels(name: string, component: string): Record<string, string> {
  return { "app.kubernetes.io/name": name, "app.kubernetes.io/part-of": PART_OF, ...extraLabels(component) };
}

/** Object names the other charts (Grafana's datasource) and the tests refer to. */
export const PROMETHEUS_NAMES = {
  server: "prometheus",
  nodeExporter: "node-exporter",
  kubeStateMetrics: "kube-state-metrics",
  config: "prometheus-config",
  rules: "prometheus-rules",
  data: "prometheus-data",
} as const;

/** In-cluster URL of the Prometheus API. */
export function prometheusUrl(): string {
  return `http://${PROMETHEUS_NAMES.server}.${PROMETHEUS_NAMESPACE}.svc:${PROMETHEUS_PORT}`;
}

/**
 * Resources kube-state-metrics reports on (`--resources`); its ClusterRole
 * grants list/watch on exactly these and nothing else (no Secrets, no ConfigMaps).
 */
export const KSM_RESOURCES: readonly { readonly flag: string; readonly apiGroup: string; readonly resource: string }[] = [
  { flag: "nodes", apiGroup: "", resource: "nodes" },
  { flag: "namespaces", apiGroup: "", resource: "namespaces" },
  { flag: "pods", apiGroup: "", resource: "pods" },
  { flag: "persistentvolumeclaims", apiGroup: "", resource: "persistentvolumeclaims" },
  { flag: "persistentvolumes", apiGroup: "", resource: "persistentvolumes" },
  { flag: "services", apiGroup: "", resource: "services" },
  { flag: "deployments", apiGroup: "apps", resource: "deployments" },
  { flag: "replicasets", apiGroup: "apps", resource: "replicasets" },
  { flag: "daemonsets", apiGroup: "apps", resource: "daemonsets" },
  { flag: "statefulsets", apiGroup: "apps", resource: "statefulsets" },
  { flag: "jobs", apiGroup: "batch", resource: "jobs" },
  { flag: "horizontalpodautoscalers", apiGroup: "autoscaling", resource: "horizontalpodautoscalers" },
];

/** Props of {@link PrometheusChart}. Plain data only. */
export interface PrometheusChartProps {
  /** The platform values (only the `prometheus` section is read). */
  readonly values: { readonly prometheus: PrometheusValues };
}

/**
 * Prometheus with its config reloader, node-exporter on every node and
 * kube-state-metrics, in one namespace. Alerting rules are loaded from a
 * ConfigMap; there is no Alertmanager: alerts are visible in Prometheus and in
 * Grafana (which reads them through the Prometheus datasource).
 */
export class PrometheusChart extends Chart {
  readonly values: PrometheusValues;
  /** The parsed `prometheus.yml` the ConfigMap carries. */
  readonly config: Record<string, unknown>;
  /** The parsed rule file the rules ConfigMap carries. */
  readonly rules: ReturnType<typeof alertingRules>;

  constructor(scope: Construct, id: string, props: PrometheusChartProps) {
    const values = props.values.prometheus;
    super(scope, id, { namespace: PROMETHEUS_NAMESPACE, disableResourceNameHashes: true });
    this.values = values;

    // node-exporter needs the host's network and PID namespaces and host paths,
    // which only the `privileged` Pod Security level allows; anything weaker
    // than `restricted` still shows up in warnings and the audit log.
    new AppNamespace(this, "Namespace", { name: PROMETHEUS_NAMESPACE, podSecurity: "privileged", podSecurityWarn: "restricted" });

    this.config = prometheusConfig({
      scrapeInterval: values.scrapeInterval,
      evaluationInterval: values.evaluationInterval,
      namespace: PROMETHEUS_NAMESPACE,
      nodeExporterName: PROMETHEUS_NAMES.nodeExporter,
      kubeStateMetricsName: PROMETHEUS_NAMES.kubeStateMetrics,
      verifyKubeletCertificates: values.verifyKubeletCertificates,
      ingressController: values.ingressController,
      certManager: values.certManager,
      externalLabels: values.externalLabels,
    });
    this.rules = alertingRules(values.alerts);

    this.server(values);
    this.nodeExporter(values);
    this.kubeStateMetrics(values);
  }

  private server(values: PrometheusValues): void {
    const name = PROMETHEUS_NAMES.server;
    const labels = appLabels(name, "server");

    // Exactly what Kubernetes service discovery and the kubelet/cAdvisor and
    // API server scrapes need: read-only, no Secrets, no ConfigMaps.
    const role = new KubeClusterRole(this, "ClusterRole", {
      metadata: { name, labels },
      rules: [
        {
          apiGroups: [""],
          resources: ["nodes", "nodes/metrics", "services", "endpoints", "pods"],
          verbs: ["get", "list", "watch"],
        },
        { apiGroups: ["discovery.k8s.io"], resources: ["endpointslices"], verbs: ["get", "list", "watch"] },
        { nonResourceUrLs: ["/metrics"], verbs: ["get"] },
      ],
    });
    new KubeClusterRoleBinding(this, "ClusterRoleBinding", {
      metadata: { name, labels },
      roleRef: { apiGroup: "rbac.authorization.k8s.io", kind: "ClusterRole", name: role.name },
      subjects: [{ kind: "ServiceAccount", name, namespace: PROMETHEUS_NAMESPACE }],
    });

    new KubeConfigMap(this, "Config", {
      metadata: { name: PROMETHEUS_NAMES.config, labels },
      data: { "prometheus.yml": stringify(this.config, { lineWidth: 0 }) },
    });
    new KubeConfigMap(this, "Rules", {
      metadata: { name: PROMETHEUS_NAMES.rules, labels },
      data: { "alerts.yml": stringify(this.rules, { lineWidth: 0 }) },
    });
    new KubePersistentVolumeClaim(this, "Data", {
      metadata: { name: PROMETHEUS_NAMES.data, labels },
      spec: {
        accessModes: ["ReadWriteOnce"],
        storageClassName: values.storage.storageClass,
        resources: { requests: { storage: Quantity.fromString(values.storage.size) } },
      },
    });

    const prometheus = this.serverWorkload(values);
    // Every application's policies admit Prometheus by these labels.
    for (const [key, value] of Object.entries(PROMETHEUS_PODS.labels)) {
      if (prometheus.selectorLabels[key] !== value) throw new Error(`PrometheusChart: the server's pods lack ${key}=${value} (lib/platform-pods.ts)`);
    }
  }

  /** Prometheus and its config reloader, with the config, rules and data volumes mounted. */
  private serverWorkload(values: PrometheusValues): Microservice {
    const ready = (options: { failureThreshold?: number } = {}) =>
      kplus.Probe.fromHttpGet("/-/ready", { port: PROMETHEUS_PORT, ...PROBE_TIMINGS, ...options });
    const prometheus = new Microservice(this, "Server", {
      name: PROMETHEUS_NAMES.server,
      partOf: PART_OF,
      labels: extraLabels("server"),
      image: values.images.prometheus,
      args: [
        `--config.file=${CONFIG_DIR}/prometheus.yml`,
        `--storage.tsdb.path=${DATA_DIR}`,
        `--storage.tsdb.retention.time=${values.retention}`,
        `--storage.tsdb.retention.size=${values.retentionSize}`,
        // Lets the config reloader apply new config and rules with POST /-/reload.
        "--web.enable-lifecycle",
        `--web.listen-address=:${PROMETHEUS_PORT}`,
      ],
      port: PROMETHEUS_PORT,
      servicePort: PROMETHEUS_PORT,
      // The API has no authentication and --web.enable-lifecycle adds /-/reload and
      // /-/quit: only Grafana (its datasource) may connect. The config reloader
      // uses localhost; kubectl port-forward is not subject to NetworkPolicy.
      callers: [{ peer: Peer.podsIn(GRAFANA_NAMESPACE, { "app.kubernetes.io/name": GRAFANA_SERVER_NAME }), ports: [PROMETHEUS_PORT] }],
      // Kubernetes service discovery reads the API.
      automountServiceAccountToken: true,
      replicas: 1,
      // The data volume is ReadWriteOnce and the TSDB takes a lock on it: the
      // old pod must be gone before the new one starts.
      strategy: kplus.DeploymentStrategy.recreate(),
      probes: {
        readiness: ready(),
        liveness: kplus.Probe.fromHttpGet("/-/healthy", { port: PROMETHEUS_PORT, ...PROBE_TIMINGS, failureThreshold: 6 }),
        // Replaying a large WAL after a restart can take minutes.
        startup: ready({ failureThreshold: 60 }),
      },
      resources: values.resources.prometheus,
      security: { runAsUser: NOBODY, runAsGroup: NOBODY },
      // Prometheus writes the head block and WAL checkpoint on SIGTERM.
      shutdown: { terminationGracePeriodSeconds: 120 },
    });
    const reloader = prometheus.addSidecar({
      name: "config-reloader",
      image: values.images.configReloader,
      args: [
        `--watched-dir=${CONFIG_DIR}`,
        `--watched-dir=${RULES_DIR}`,
        `--reload-url=http://127.0.0.1:${PROMETHEUS_PORT}/-/reload`,
        `--listen-address=:${RELOADER_PORT}`,
      ],
      port: { name: "reloader", number: RELOADER_PORT },
      probes: {
        readiness: kplus.Probe.fromHttpGet("/healthz", { port: RELOADER_PORT, ...PROBE_TIMINGS }),
        liveness: kplus.Probe.fromHttpGet("/healthz", { port: RELOADER_PORT, ...PROBE_TIMINGS }),
      },
      resources: { cpu: { request: "10m", limit: "100m" }, memory: { request: "32Mi", limit: "64Mi" } },
    });
    const config = kplus.Volume.fromConfigMap(this, "ConfigVolume", kplus.ConfigMap.fromConfigMapName(this, "ConfigRef", PROMETHEUS_NAMES.config), {
      name: "config",
    });
    const rules = kplus.Volume.fromConfigMap(this, "RulesVolume", kplus.ConfigMap.fromConfigMapName(this, "RulesRef", PROMETHEUS_NAMES.rules), {
      name: "rules",
    });
    for (const container of [prometheus.deployment.containers[0], reloader]) {
      container.mount(CONFIG_DIR, config, { readOnly: true });
      container.mount(RULES_DIR, rules, { readOnly: true });
    }
    prometheus.deployment.containers[0].mount(
      DATA_DIR,
      kplus.Volume.fromPersistentVolumeClaim(this, "DataVolume", kplus.PersistentVolumeClaim.fromClaimName(this, "DataRef", PROMETHEUS_NAMES.data), {
        name: "data",
      }),
    );
    return prometheus;
  }

  private nodeExporter(values: PrometheusValues): void {
    const probe = kplus.Probe.fromHttpGet("/", { port: NODE_EXPORTER_PORT, ...PROBE_TIMINGS });
    new HostDaemonSet(this, "NodeExporter", {
      name: PROMETHEUS_NAMES.nodeExporter,
      partOf: PART_OF,
      labels: extraLabels("exporter"),
      image: values.images.nodeExporter,
      args: [
        "--path.procfs=/host/proc",
        "--path.sysfs=/host/sys",
        "--path.rootfs=/host/root",
        `--web.listen-address=:${NODE_EXPORTER_PORT}`,
        // Container and kubelet mounts would duplicate the root filesystem many times.
        "--collector.filesystem.mount-points-exclude=^/(dev|proc|sys|run/containerd/.+|var/lib/kubelet/.+|var/lib/containerd/.+)($|/)",
        "--collector.netclass.ignored-devices=^(veth.*|cali.*|tunl.*|vxlan.*)$",
        "--collector.netdev.device-exclude=^(veth.*|cali.*|tunl.*|vxlan.*)$",
        // Metrics that node scripts write, e.g. the control plane's etcd backups.
        "--collector.textfile.directory=/host/root/var/lib/node-exporter/textfile",
      ],
      // Host network: node metrics are about the node's interfaces, and the
      // node IP is the scrape address. Host PID: per-process stats of the host.
      hostNetwork: true,
      hostPid: true,
      ports: [{ name: "metrics", port: NODE_EXPORTER_PORT, hostPort: true }],
      // Host network: outside NetworkPolicy. Prometheus reaches it at the node's
      // address, which the workers' security group admits.
      callers: [],
      probes: { readiness: probe, liveness: probe },
      resources: values.resources.nodeExporter,
      security: { runAsUser: NOBODY },
      hostMounts: [
        { name: "proc", hostPath: "/proc", mountPath: "/host/proc" },
        { name: "sys", hostPath: "/sys", mountPath: "/host/sys" },
        // Filesystems mounted on the host after the pod started show up too.
        { name: "root", hostPath: "/", mountPath: "/host/root", mountPropagation: "HostToContainer" },
      ],
    });
  }

  private kubeStateMetrics(values: PrometheusValues): void {
    const name = PROMETHEUS_NAMES.kubeStateMetrics;
    const labels = appLabels(name, "exporter");
    const byGroup = new Map<string, string[]>();
    for (const r of KSM_RESOURCES) byGroup.set(r.apiGroup, [...(byGroup.get(r.apiGroup) ?? []), r.resource]);
    const role = new KubeClusterRole(this, "KsmClusterRole", {
      metadata: { name, labels },
      rules: [...byGroup.entries()].map(([group, resources]) => ({
        apiGroups: [group],
        resources,
        verbs: ["list", "watch"],
      })),
    });
    new KubeClusterRoleBinding(this, "KsmClusterRoleBinding", {
      metadata: { name, labels },
      roleRef: { apiGroup: "rbac.authorization.k8s.io", kind: "ClusterRole", name: role.name },
      subjects: [{ kind: "ServiceAccount", name, namespace: PROMETHEUS_NAMESPACE }],
    });
    const ksm = new Microservice(this, "KubeStateMetrics", {
      name,
      partOf: PART_OF,
      labels: extraLabels("exporter"),
      image: values.images.kubeStateMetrics,
      args: [
        `--port=${KUBE_STATE_METRICS_PORT}`,
        `--telemetry-port=${KSM_TELEMETRY_PORT}`,
        `--resources=${KSM_RESOURCES.map((r) => r.flag).join(",")}`,
      ],
      port: KUBE_STATE_METRICS_PORT,
      // Prometheus scrapes the pods directly (its own job, no annotations). Its
      // metrics list every pod, label and image of the cluster: Prometheus only.
      // The telemetry port serves the probes (from the node, always allowed).
      expose: false,
      callers: [{ peer: Peer.prometheus(), ports: [KUBE_STATE_METRICS_PORT] }],
      // It lists and watches the API.
      automountServiceAccountToken: true,
      replicas: 1,
      livenessPath: "/livez",
      probes: {
        readiness: kplus.Probe.fromHttpGet("/readyz", { port: KSM_TELEMETRY_PORT, ...PROBE_TIMINGS }),
        liveness: kplus.Probe.fromHttpGet("/livez", { port: KUBE_STATE_METRICS_PORT, ...PROBE_TIMINGS }),
      },
      resources: values.resources.kubeStateMetrics,
      security: { runAsUser: NOBODY, runAsGroup: NOBODY },
    });
    ksm.deployment.containers[0].addPort({ number: KSM_TELEMETRY_PORT, name: "telemetry" });
  }
}
