import { Chart } from "cdk8s";
import {
  IntOrString,
  KubeClusterRole,
  KubeClusterRoleBinding,
  KubeConfigMap,
  KubeDaemonSet,
  KubeDeployment,
  KubeNetworkPolicy,
  KubePersistentVolumeClaim,
  KubeService,
  KubeServiceAccount,
  Quantity,
} from "cdk8s-plus-28/lib/imports/k8s";
import { Construct } from "constructs";
import { stringify } from "yaml";
import {
  appLabels,
  httpProbe,
  k8sResources,
  nonRootPod,
  podSecurityNamespace,
  restrictedContainer,
  selectorOf,
} from "../observability/pod-spec";
import { alertingRules } from "./rules";
import {
  KUBE_STATE_METRICS_PORT,
  NODE_EXPORTER_PORT,
  PROMETHEUS_PORT,
  prometheusConfig,
  RULES_DIR,
} from "./scrape-config";
import { GRAFANA_NAMESPACE } from "../grafana/values";
import { PROMETHEUS_NAMESPACE, PrometheusValues } from "./values";

/** UID and GID of `nobody`, the user the Prometheus, node-exporter and kube-state-metrics images run as. */
const NOBODY = 65534;
const PART_OF = "prometheus";
const CONFIG_DIR = "/etc/prometheus/config";
const DATA_DIR = "/prometheus";
const RELOADER_PORT = 8080;
const KSM_TELEMETRY_PORT = 8081;

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
    // which only the `privileged` Pod Security level allows.
    podSecurityNamespace(this, "Namespace", PROMETHEUS_NAMESPACE, "privileged");

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
    const labels = appLabels(name, PART_OF, "server");

    const sa = new KubeServiceAccount(this, "ServiceAccount", { metadata: { name, labels } });
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
      subjects: [{ kind: "ServiceAccount", name: sa.name, namespace: PROMETHEUS_NAMESPACE }],
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

    new KubeDeployment(this, "Deployment", {
      metadata: { name, labels },
      spec: {
        replicas: 1,
        // The data volume is ReadWriteOnce and the TSDB takes a lock on it: the
        // old pod must be gone before the new one starts.
        strategy: { type: "Recreate" },
        selector: { matchLabels: selectorOf(name) },
        template: {
          metadata: { labels },
          spec: {
            serviceAccountName: sa.name,
            securityContext: nonRootPod(NOBODY, NOBODY),
            // Prometheus writes the head block and WAL checkpoint on SIGTERM.
            terminationGracePeriodSeconds: 120,
            containers: [
              {
                name: "prometheus",
                image: values.images.prometheus,
                imagePullPolicy: "IfNotPresent",
                args: [
                  `--config.file=${CONFIG_DIR}/prometheus.yml`,
                  `--storage.tsdb.path=${DATA_DIR}`,
                  `--storage.tsdb.retention.time=${values.retention}`,
                  `--storage.tsdb.retention.size=${values.retentionSize}`,
                  // Lets the config reloader apply new config and rules with POST /-/reload.
                  "--web.enable-lifecycle",
                  `--web.listen-address=:${PROMETHEUS_PORT}`,
                ],
                ports: [{ name: "http", containerPort: PROMETHEUS_PORT }],
                readinessProbe: httpProbe("/-/ready", PROMETHEUS_PORT),
                livenessProbe: httpProbe("/-/healthy", PROMETHEUS_PORT, { failureThreshold: 6 }),
                // Replaying a large WAL after a restart can take minutes.
                startupProbe: httpProbe("/-/ready", PROMETHEUS_PORT, { failureThreshold: 60, periodSeconds: 10 }),
                resources: k8sResources(values.resources.prometheus),
                securityContext: restrictedContainer(),
                volumeMounts: [
                  { name: "config", mountPath: CONFIG_DIR, readOnly: true },
                  { name: "rules", mountPath: RULES_DIR, readOnly: true },
                  { name: "data", mountPath: DATA_DIR },
                ],
              },
              {
                name: "config-reloader",
                image: values.images.configReloader,
                imagePullPolicy: "IfNotPresent",
                args: [
                  `--watched-dir=${CONFIG_DIR}`,
                  `--watched-dir=${RULES_DIR}`,
                  `--reload-url=http://127.0.0.1:${PROMETHEUS_PORT}/-/reload`,
                  `--listen-address=:${RELOADER_PORT}`,
                ],
                ports: [{ name: "reloader", containerPort: RELOADER_PORT }],
                readinessProbe: httpProbe("/healthz", RELOADER_PORT),
                livenessProbe: httpProbe("/healthz", RELOADER_PORT),
                resources: k8sResources({
                  cpu: { request: "10m", limit: "100m" },
                  memory: { request: "32Mi", limit: "64Mi" },
                }),
                securityContext: restrictedContainer(),
                volumeMounts: [
                  { name: "config", mountPath: CONFIG_DIR, readOnly: true },
                  { name: "rules", mountPath: RULES_DIR, readOnly: true },
                ],
              },
            ],
            volumes: [
              { name: "config", configMap: { name: PROMETHEUS_NAMES.config } },
              { name: "rules", configMap: { name: PROMETHEUS_NAMES.rules } },
              { name: "data", persistentVolumeClaim: { claimName: PROMETHEUS_NAMES.data } },
            ],
          },
        },
      },
    });

    new KubeService(this, "Service", {
      metadata: { name, labels },
      spec: {
        type: "ClusterIP",
        selector: selectorOf(name),
        ports: [{ name: "http", port: PROMETHEUS_PORT, targetPort: IntOrString.fromString("http") }],
      },
    });

    // The API has no authentication and --web.enable-lifecycle adds /-/reload and
    // /-/quit: only Grafana and this namespace may connect (kubectl port-forward
    // is not subject to NetworkPolicy and keeps working).
    new KubeNetworkPolicy(this, "NetworkPolicy", {
      metadata: { name, labels },
      spec: {
        podSelector: { matchLabels: selectorOf(name) },
        policyTypes: ["Ingress"],
        ingress: [
          {
            from: [
              { namespaceSelector: { matchLabels: { "kubernetes.io/metadata.name": GRAFANA_NAMESPACE } } },
              { podSelector: {} },
            ],
            ports: [{ protocol: "TCP", port: IntOrString.fromNumber(PROMETHEUS_PORT) }],
          },
        ],
      },
    });
  }

  private nodeExporter(values: PrometheusValues): void {
    const name = PROMETHEUS_NAMES.nodeExporter;
    const labels = appLabels(name, PART_OF, "exporter");
    const sa = new KubeServiceAccount(this, "NodeExporterServiceAccount", {
      metadata: { name, labels },
      automountServiceAccountToken: false,
    });
    const hostMounts = [
      { name: "proc", hostPath: "/proc", mountPath: "/host/proc" },
      { name: "sys", hostPath: "/sys", mountPath: "/host/sys" },
      { name: "root", hostPath: "/", mountPath: "/host/root" },
    ];
    new KubeDaemonSet(this, "NodeExporter", {
      metadata: { name, labels },
      spec: {
        selector: { matchLabels: selectorOf(name) },
        updateStrategy: { type: "RollingUpdate", rollingUpdate: { maxUnavailable: IntOrString.fromString("10%") } },
        template: {
          metadata: { labels },
          spec: {
            serviceAccountName: sa.name,
            automountServiceAccountToken: false,
            // Host network: node metrics are about the node's interfaces, and the
            // node IP is the scrape address. Host PID: per-process stats of the host.
            hostNetwork: true,
            hostPid: true,
            dnsPolicy: "ClusterFirstWithHostNet",
            priorityClassName: "system-node-critical",
            // Every node, whatever its taints (control plane, tainted pools).
            tolerations: [{ operator: "Exists" }],
            securityContext: nonRootPod(NOBODY),
            containers: [
              {
                name: "node-exporter",
                image: values.images.nodeExporter,
                imagePullPolicy: "IfNotPresent",
                args: [
                  "--path.procfs=/host/proc",
                  "--path.sysfs=/host/sys",
                  "--path.rootfs=/host/root",
                  `--web.listen-address=:${NODE_EXPORTER_PORT}`,
                  // Container and kubelet mounts would duplicate the root filesystem many times.
                  "--collector.filesystem.mount-points-exclude=^/(dev|proc|sys|run/containerd/.+|var/lib/kubelet/.+|var/lib/containerd/.+)($|/)",
                  "--collector.netclass.ignored-devices=^(veth.*|cali.*|tunl.*|vxlan.*)$",
                  "--collector.netdev.device-exclude=^(veth.*|cali.*|tunl.*|vxlan.*)$",
                ],
                ports: [{ name: "metrics", containerPort: NODE_EXPORTER_PORT, hostPort: NODE_EXPORTER_PORT }],
                readinessProbe: httpProbe("/", NODE_EXPORTER_PORT),
                livenessProbe: httpProbe("/", NODE_EXPORTER_PORT),
                resources: k8sResources(values.resources.nodeExporter),
                securityContext: restrictedContainer(),
                volumeMounts: hostMounts.map((m) => ({
                  name: m.name,
                  mountPath: m.mountPath,
                  readOnly: true,
                  // Filesystems mounted on the host after the pod started show up too.
                  ...(m.name === "root" ? { mountPropagation: "HostToContainer" } : {}),
                })),
              },
            ],
            volumes: hostMounts.map((m) => ({ name: m.name, hostPath: { path: m.hostPath } })),
          },
        },
      },
    });
  }

  private kubeStateMetrics(values: PrometheusValues): void {
    const name = PROMETHEUS_NAMES.kubeStateMetrics;
    const labels = appLabels(name, PART_OF, "exporter");
    const sa = new KubeServiceAccount(this, "KsmServiceAccount", { metadata: { name, labels } });
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
      subjects: [{ kind: "ServiceAccount", name: sa.name, namespace: PROMETHEUS_NAMESPACE }],
    });
    new KubeDeployment(this, "KubeStateMetrics", {
      metadata: { name, labels },
      spec: {
        replicas: 1,
        selector: { matchLabels: selectorOf(name) },
        template: {
          metadata: { labels },
          spec: {
            serviceAccountName: sa.name,
            securityContext: nonRootPod(NOBODY),
            containers: [
              {
                name: "kube-state-metrics",
                image: values.images.kubeStateMetrics,
                imagePullPolicy: "IfNotPresent",
                args: [
                  `--port=${KUBE_STATE_METRICS_PORT}`,
                  `--telemetry-port=${KSM_TELEMETRY_PORT}`,
                  `--resources=${KSM_RESOURCES.map((r) => r.flag).join(",")}`,
                ],
                ports: [
                  { name: "http-metrics", containerPort: KUBE_STATE_METRICS_PORT },
                  { name: "telemetry", containerPort: KSM_TELEMETRY_PORT },
                ],
                livenessProbe: httpProbe("/livez", KUBE_STATE_METRICS_PORT),
                readinessProbe: httpProbe("/readyz", KSM_TELEMETRY_PORT),
                resources: k8sResources(values.resources.kubeStateMetrics),
                securityContext: restrictedContainer(),
              },
            ],
          },
        },
      },
    });
    // Its metrics list every pod, label and image of the cluster: Prometheus only.
    new KubeNetworkPolicy(this, "KsmNetworkPolicy", {
      metadata: { name, labels },
      spec: {
        podSelector: { matchLabels: selectorOf(name) },
        policyTypes: ["Ingress"],
        ingress: [
          {
            from: [{ podSelector: { matchLabels: selectorOf(PROMETHEUS_NAMES.server) } }],
            ports: [{ protocol: "TCP", port: IntOrString.fromNumber(KUBE_STATE_METRICS_PORT) }],
          },
        ],
      },
    });
  }
}
