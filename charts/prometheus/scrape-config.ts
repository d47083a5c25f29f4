/**
 * The Prometheus server configuration (`prometheus.yml`) as plain data. Pure: the
 * chart serializes it into a ConfigMap, the unit tests inspect it and the tools
 * tests hand it to `promtool check config`.
 *
 * Discovery runs inside the cluster with the pod's ServiceAccount token, so every
 * job that talks to the API server or a kubelet authenticates with that token and
 * needs only the read permissions the chart's ClusterRole grants.
 */

/** Where the ServiceAccount token and the cluster CA are mounted in every pod. */
export const SERVICE_ACCOUNT_DIR = "/var/run/secrets/kubernetes.io/serviceaccount";
/** Mount path of the rule files inside the Prometheus container. */
export const RULES_DIR = "/etc/prometheus/rules";
/** Port Prometheus listens on. */
export const PROMETHEUS_PORT = 9090;
/** node-exporter's listen port (on the host network). */
export const NODE_EXPORTER_PORT = 9100;
/** kube-state-metrics' port for object metrics (its own telemetry is on 8081). */
export const KUBE_STATE_METRICS_PORT = 8080;

/** Scrape job names; dashboards, alerts and the metric catalogue refer to these. */
export const JOB = {
  prometheus: "prometheus",
  apiserver: "kubernetes-apiservers",
  kubelet: "kubernetes-kubelets",
  cadvisor: "kubernetes-cadvisor",
  nodeExporter: "node-exporter",
  kubeStateMetrics: "kube-state-metrics",
  pods: "kubernetes-pods",
  serviceEndpoints: "kubernetes-service-endpoints",
  ingressController: "nginx-ingress-controller",
  certManager: "cert-manager",
} as const;

export type JobName = (typeof JOB)[keyof typeof JOB];

export interface ScrapeConfigInput {
  /** How often targets are scraped, a Prometheus duration such as `30s`. */
  readonly scrapeInterval: string;
  /** How often rules are evaluated. */
  readonly evaluationInterval: string;
  /** Namespace of node-exporter and kube-state-metrics (the chart's own). */
  readonly namespace: string;
  /** Label value of `app.kubernetes.io/name` on the node-exporter pods. */
  readonly nodeExporterName: string;
  /** Label value of `app.kubernetes.io/name` on the kube-state-metrics pods. */
  readonly kubeStateMetricsName: string;
  /**
   * Verify the kubelets' serving certificates against the cluster CA. The platform's
   * kubelets request CA-signed serving certificates (`serverTLSBootstrap`); turn it off
   * only for a cluster whose kubelets keep kubeadm's default self-signed certificate.
   */
  readonly verifyKubeletCertificates: boolean;
  /** The F5 NGINX Ingress Controller's namespace and metrics port. */
  readonly ingressController: { readonly namespace: string; readonly metricsPort: number };
  /** cert-manager's namespace and metrics port. */
  readonly certManager: { readonly namespace: string; readonly metricsPort: number };
  /** Labels added to every series (e.g. `cluster`). */
  readonly externalLabels: Readonly<Record<string, string>>;
}

type Relabel = Record<string, unknown>;

const inClusterAuth = {
  authorization: { type: "Bearer", credentials_file: `${SERVICE_ACCOUNT_DIR}/token` },
};

function tlsToCluster(insecure = false): Record<string, unknown> {
  // The CA file is kept even when verification is off, so turning it on is a
  // one-line change rather than a new block.
  return insecure
    ? { tls_config: { ca_file: `${SERVICE_ACCOUNT_DIR}/ca.crt`, insecure_skip_verify: true } }
    : { tls_config: { ca_file: `${SERVICE_ACCOUNT_DIR}/ca.crt` } };
}

function keep(sourceLabels: string[], regex: string): Relabel {
  return { source_labels: sourceLabels, regex, action: "keep" };
}

function drop(sourceLabels: string[], regex: string): Relabel {
  return { source_labels: sourceLabels, regex, action: "drop" };
}

function copy(source: string, target: string): Relabel {
  return { source_labels: [source], target_label: target, action: "replace" };
}

/** Pod identity as target labels, so series from pods can be joined with kube-state-metrics. */
const podLabels: Relabel[] = [
  copy("__meta_kubernetes_namespace", "namespace"),
  copy("__meta_kubernetes_pod_name", "pod"),
  copy("__meta_kubernetes_pod_node_name", "node"),
];

/** Replaces the port of `__address__` with the one in `portLabel` (an annotation). */
function addressWithPortFrom(portLabel: string): Relabel {
  // Pod IPs may be IPv6; the regex takes everything up to the last colon as host.
  return {
    source_labels: ["__address__", portLabel],
    regex: "(.+?)(?::\\d+)?;(\\d+)",
    replacement: "$1:$2",
    target_label: "__address__",
    action: "replace",
  };
}

/** Honors `prometheus.io/scheme`, `prometheus.io/path` and `prometheus.io/port` on `kind` (pod or service). */
function annotationRelabels(kind: "pod" | "service"): Relabel[] {
  const meta = `__meta_kubernetes_${kind}_annotation_prometheus_io`;
  return [
    keep([`${meta}_scrape`], "true"),
    { source_labels: [`${meta}_scheme`], regex: "(https?)", target_label: "__scheme__", action: "replace" },
    { source_labels: [`${meta}_path`], regex: "(.+)", target_label: "__metrics_path__", action: "replace" },
    addressWithPortFrom(`${meta}_port`),
  ];
}

/**
 * Builds `prometheus.yml`. Every job is listed in {@link JOB}; the metric
 * catalogue (`metric-catalogue.ts`) says which series each one yields.
 */
export function prometheusConfig(input: ScrapeConfigInput): Record<string, unknown> {
  const scrapeConfigs = [...platformJobs(input), ...annotatedAndAddOnJobs(input)];

  return {
    global: {
      scrape_interval: input.scrapeInterval,
      evaluation_interval: input.evaluationInterval,
      scrape_timeout: "10s",
      ...(Object.keys(input.externalLabels).length > 0 ? { external_labels: { ...input.externalLabels } } : {}),
    },
    rule_files: [`${RULES_DIR}/*.yml`],
    scrape_configs: scrapeConfigs,
  };
}

/** Prometheus itself, the API server, the kubelets and cAdvisor, node-exporter and kube-state-metrics. */
function platformJobs(input: ScrapeConfigInput): Record<string, unknown>[] {
  return [
  {
    job_name: JOB.prometheus,
    static_configs: [{ targets: [`localhost:${PROMETHEUS_PORT}`] }],
  },
  {
    job_name: JOB.apiserver,
    scheme: "https",
    kubernetes_sd_configs: [{ role: "endpointslice", namespaces: { names: ["default"] } }],
    ...inClusterAuth,
    ...tlsToCluster(),
    relabel_configs: [
      keep(["__meta_kubernetes_service_name", "__meta_kubernetes_endpointslice_port_name"], "kubernetes;https"),
    ],
  },
  {
    // Scraped directly on each node's kubelet (port 10250). The kubelet
    // authorizes the token with a SubjectAccessReview on nodes/metrics.
    job_name: JOB.kubelet,
    scheme: "https",
    kubernetes_sd_configs: [{ role: "node" }],
    ...inClusterAuth,
    ...tlsToCluster(!input.verifyKubeletCertificates),
    relabel_configs: [copy("__meta_kubernetes_node_name", "node")],
  },
  {
    job_name: JOB.cadvisor,
    scheme: "https",
    metrics_path: "/metrics/cadvisor",
    kubernetes_sd_configs: [{ role: "node" }],
    ...inClusterAuth,
    ...tlsToCluster(!input.verifyKubeletCertificates),
    relabel_configs: [copy("__meta_kubernetes_node_name", "node")],
  },
  {
    // node-exporter runs on the host network: the pod IP is the node IP.
    job_name: JOB.nodeExporter,
    kubernetes_sd_configs: [{ role: "pod", namespaces: { names: [input.namespace] } }],
    relabel_configs: [
      keep(["__meta_kubernetes_pod_label_app_kubernetes_io_name"], escapeRegex(input.nodeExporterName)),
      keep(["__meta_kubernetes_pod_container_port_number"], String(NODE_EXPORTER_PORT)),
      copy("__meta_kubernetes_pod_node_name", "node"),
      copy("__meta_kubernetes_pod_node_name", "instance"),
    ],
  },
  {
    // kube-state-metrics already labels every series with the object's
    // namespace and name; honor_labels keeps those instead of the target's.
    job_name: JOB.kubeStateMetrics,
    honor_labels: true,
    kubernetes_sd_configs: [{ role: "pod", namespaces: { names: [input.namespace] } }],
    relabel_configs: [
      keep(["__meta_kubernetes_pod_label_app_kubernetes_io_name"], escapeRegex(input.kubeStateMetricsName)),
      keep(["__meta_kubernetes_pod_container_port_number"], String(KUBE_STATE_METRICS_PORT)),
    ],
  },
  ];
}

/** What asks to be scraped through annotations, and the add-ons with jobs of their own. */
function annotatedAndAddOnJobs(input: ScrapeConfigInput): Record<string, unknown>[] {
  const dedicatedNamespaces = [input.ingressController.namespace, input.certManager.namespace]
    .map((ns) => ns.replace(/[.]/g, "\\."))
    .join("|");

  return [
  {
    // Pods that ask to be scraped (`prometheus.io/scrape: "true"`). The add-on
    // namespaces with their own jobs below are left out so nothing is scraped twice.
    job_name: JOB.pods,
    kubernetes_sd_configs: [{ role: "pod" }],
    relabel_configs: [
      drop(["__meta_kubernetes_namespace"], dedicatedNamespaces),
      // Finished pods (Jobs) keep their annotations but serve nothing.
      drop(["__meta_kubernetes_pod_phase"], "Pending|Succeeded|Failed|Unknown"),
      // A pod with several container ports yields one target per port; once the
      // annotation fixes the port they carry the same labels and Prometheus
      // merges them into one target.
      ...annotationRelabels("pod"),
      { action: "labelmap", regex: "__meta_kubernetes_pod_label_(.+)" },
      ...podLabels,
    ],
  },
  {
    // Services that ask to be scraped: every endpoint behind them. EndpointSlices,
    // not the Endpoints API, which Kubernetes deprecated in 1.33.
    job_name: JOB.serviceEndpoints,
    kubernetes_sd_configs: [{ role: "endpointslice" }],
    relabel_configs: [
      drop(["__meta_kubernetes_namespace"], dedicatedNamespaces),
      ...annotationRelabels("service"),
      copy("__meta_kubernetes_namespace", "namespace"),
      copy("__meta_kubernetes_service_name", "service"),
      copy("__meta_kubernetes_pod_name", "pod"),
      copy("__meta_kubernetes_pod_node_name", "node"),
    ],
  },
  {
    // The F5 NGINX Ingress Controller serves Prometheus metrics on the container
    // port its Helm chart names "prometheus" (9113 by default).
    job_name: JOB.ingressController,
    kubernetes_sd_configs: [{ role: "pod", namespaces: { names: [input.ingressController.namespace] } }],
    relabel_configs: [
      keep(["__meta_kubernetes_pod_container_port_number"], String(input.ingressController.metricsPort)),
      drop(["__meta_kubernetes_pod_phase"], "Pending|Succeeded|Failed|Unknown"),
      ...podLabels,
    ],
  },
  {
    // cert-manager's controller serves metrics on 9402; its webhook and
    // cainjector pods do not expose that port and are filtered out by it.
    job_name: JOB.certManager,
    kubernetes_sd_configs: [{ role: "pod", namespaces: { names: [input.certManager.namespace] } }],
    relabel_configs: [
      keep(["__meta_kubernetes_pod_container_port_number"], String(input.certManager.metricsPort)),
      drop(["__meta_kubernetes_pod_phase"], "Pending|Succeeded|Failed|Unknown"),
      ...podLabels,
    ],
  },
  ];
}

/** The job names a config defines, in order. */
export function jobNames(config: Record<string, unknown>): string[] {
  const jobs = config.scrape_configs as { job_name: string }[];
  return jobs.map((j) => j.job_name);
}

function escapeRegex(value: string): string {
  return value.replace(/[.*+?^${}()|[\]\\]/g, "\\$&");
}
