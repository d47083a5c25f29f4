/**
 * Which series each configured scrape job yields: the metric names the pinned
 * exporters really export (checked against each project's metric definitions at
 * the pinned versions) that dashboards and alerts may use. The unit tests parse
 * every dashboard and alert expression and fail on any metric not listed under
 * a job that `prometheusConfig` actually defines, so a typo or a metric from an
 * exporter we do not run cannot ship.
 *
 * The lists are deliberately not exhaustive: add a name here, under the job that
 * exports it, when a dashboard starts to use it.
 */
import { JOB, JobName } from "./scrape-config";

/** A Prometheus histogram's three series. */
function histogram(name: string): string[] {
  return [`${name}_bucket`, `${name}_sum`, `${name}_count`];
}

/** Series Prometheus itself adds for every target of every job. */
export const SYNTHETIC_SERIES: readonly string[] = [
  "up",
  "scrape_duration_seconds",
  "scrape_samples_scraped",
  "scrape_samples_post_metric_relabeling",
  "scrape_series_added",
];

export const METRICS_BY_JOB: Readonly<Record<JobName, readonly string[]>> = {
  [JOB.prometheus]: [
    "prometheus_config_last_reload_successful",
    "prometheus_config_last_reload_success_timestamp_seconds",
    "prometheus_tsdb_head_series",
    "prometheus_tsdb_storage_blocks_bytes",
    "prometheus_rule_evaluation_failures_total",
    "prometheus_target_scrape_pool_targets",
  ],
  [JOB.apiserver]: [
    "apiserver_request_total",
    ...histogram("apiserver_request_duration_seconds"),
    "apiserver_current_inflight_requests",
  ],
  [JOB.kubelet]: [
    "kubelet_volume_stats_available_bytes",
    "kubelet_volume_stats_capacity_bytes",
    "kubelet_volume_stats_used_bytes",
    "kubelet_volume_stats_inodes",
    "kubelet_volume_stats_inodes_free",
    "kubelet_running_pods",
    "kubelet_running_containers",
  ],
  [JOB.cadvisor]: [
    "container_cpu_usage_seconds_total",
    "container_cpu_cfs_periods_total",
    "container_cpu_cfs_throttled_periods_total",
    "container_memory_working_set_bytes",
    "container_memory_rss",
    "container_network_receive_bytes_total",
    "container_network_transmit_bytes_total",
    "container_fs_usage_bytes",
  ],
  [JOB.nodeExporter]: [
    // The textfile collector: the control plane's etcd-backup.sh (infra/nodes/bootstrap) writes these.
    "etcd_backup_last_success_timestamp_seconds",
    "etcd_backup_last_attempt_timestamp_seconds",
    "etcd_backup_last_attempt_success",
    "etcd_backup_last_size_bytes",
    "etcd_backup_interval_seconds",
    "node_cpu_seconds_total",
    "node_load1",
    "node_load5",
    "node_load15",
    "node_memory_MemTotal_bytes",
    "node_memory_MemAvailable_bytes",
    "node_memory_MemFree_bytes",
    "node_filesystem_size_bytes",
    "node_filesystem_avail_bytes",
    "node_filesystem_free_bytes",
    "node_filesystem_readonly",
    "node_disk_read_bytes_total",
    "node_disk_written_bytes_total",
    "node_disk_io_time_seconds_total",
    "node_network_receive_bytes_total",
    "node_network_transmit_bytes_total",
    "node_network_receive_errs_total",
    "node_network_transmit_errs_total",
    "node_network_receive_drop_total",
    "node_network_transmit_drop_total",
    "node_boot_time_seconds",
    "node_uname_info",
  ],
  [JOB.kubeStateMetrics]: [
    "kube_node_info",
    "kube_node_status_condition",
    "kube_node_spec_unschedulable",
    "kube_pod_info",
    "kube_pod_status_phase",
    "kube_pod_container_status_restarts_total",
    "kube_pod_container_status_waiting_reason",
    "kube_pod_container_resource_requests",
    "kube_pod_container_resource_limits",
    "kube_pod_owner",
    "kube_deployment_spec_replicas",
    "kube_deployment_status_replicas",
    "kube_deployment_status_replicas_available",
    "kube_deployment_status_replicas_unavailable",
    "kube_horizontalpodautoscaler_spec_min_replicas",
    "kube_horizontalpodautoscaler_spec_max_replicas",
    "kube_horizontalpodautoscaler_status_current_replicas",
    "kube_horizontalpodautoscaler_status_desired_replicas",
    "kube_persistentvolumeclaim_info",
    "kube_persistentvolumeclaim_resource_requests_storage_bytes",
  ],
  // Pods and Services that opt in export whatever they export: nothing here is
  // guaranteed, so dashboards must not rely on these jobs.
  [JOB.pods]: [],
  [JOB.serviceEndpoints]: [],
  [JOB.ingressController]: [
    // NGINX stub_status, re-exported by the controller (NGINX Open Source).
    "nginx_ingress_nginx_http_requests_total",
    "nginx_ingress_nginx_connections_accepted",
    "nginx_ingress_nginx_connections_active",
    "nginx_ingress_nginx_connections_handled",
    "nginx_ingress_nginx_connections_reading",
    "nginx_ingress_nginx_connections_waiting",
    "nginx_ingress_nginx_connections_writing",
    "nginx_ingress_nginx_up",
    // The controller's own metrics.
    "nginx_ingress_controller_nginx_reloads_total",
    "nginx_ingress_controller_nginx_reload_errors_total",
    "nginx_ingress_controller_nginx_last_reload_status",
    "nginx_ingress_controller_nginx_last_reload_milliseconds",
    "nginx_ingress_controller_ingress_resources_total",
    // Per-upstream response latency with the response code as a label; exported
    // only when the controller runs with -enable-latency-metrics (the add-on's
    // Helm values turn it on: controller.enableLatencyMetrics).
    ...histogram("nginx_ingress_controller_upstream_server_response_latency_ms"),
  ],
  [JOB.certManager]: [
    "certmanager_certificate_expiration_timestamp_seconds",
    "certmanager_certificate_renewal_timestamp_seconds",
    "certmanager_certificate_ready_status",
    "certmanager_controller_sync_call_count",
  ],
};

/**
 * Every metric name available from `jobs` (the jobs a config defines), plus the
 * series Prometheus synthesizes for each target.
 */
export function availableMetrics(jobs: readonly string[]): Set<string> {
  const out = new Set<string>(SYNTHETIC_SERIES);
  for (const job of jobs) {
    for (const name of METRICS_BY_JOB[job as JobName] ?? []) out.add(name);
  }
  return out;
}
