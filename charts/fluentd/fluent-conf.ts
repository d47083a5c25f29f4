/**
 * Renders FluentD's configuration (`fluent.conf`) from chart values. Pure: the
 * chart puts the text in a ConfigMap mounted over the image's /fluentd/etc, and
 * the tests parse it back into directives.
 *
 * Pipeline: tail every container log file (CRI format: containerd) -> join CRI
 * partial lines -> add Kubernetes metadata -> ship to CloudWatch Logs,
 * Elasticsearch or OpenSearch through a file buffer on the host.
 */
import { FLUENTD_NAMESPACE, FluentdValues } from "./values";

/** Host directory (hostPath) holding the tail position file and the buffers. */
export const STATE_DIR = "/var/lib/fluentd";
export const POSITION_FILE = `${STATE_DIR}/containers.log.pos`;
export const BUFFER_DIR = `${STATE_DIR}/buffer`;
/** Chunks that exhausted their retries are written here instead of being dropped. */
export const FAILED_DIR = `${STATE_DIR}/failed`;
/** monitor_agent's port: the probes' health endpoint. */
export const MONITOR_PORT = 24220;
/** Where the kubelet (containerd) keeps container logs; /var/log/containers links into /var/log/pods. */
export const CONTAINER_LOG_GLOB = "/var/log/containers/*.log";
/** Env variables the DaemonSet sets from a Secret for search-backend credentials. */
export const SEARCH_USER_ENV = "FLUENT_SEARCH_USER";
export const SEARCH_PASSWORD_ENV = "FLUENT_SEARCH_PASSWORD";

function quote(value: string): string {
  return JSON.stringify(value);
}

/** `<header>` ... `</name>` with the lines indented (nested blocks arrive already rendered). */
function block(header: string, lines: readonly string[]): string[] {
  const name = header.split(" ")[0];
  return [`<${header}>`, ...lines.map((l) => `  ${l}`), `</${name}>`];
}

function bufferSection(values: FluentdValues, name: string): string[] {
  const b = values.buffer;
  return block("buffer", [
    "@type file",
    `path ${BUFFER_DIR}/${name}`,
    "flush_mode interval",
    `flush_interval ${b.flushInterval}`,
    "flush_thread_count 2",
    // PutLogEvents takes at most 1 MiB per call; smaller chunks also bound
    // what one failed request has to resend.
    "chunk_limit_size 1m",
    `total_limit_size ${b.totalLimitSize}`,
    // When the buffer is full, stop reading files (the position file keeps our
    // place) rather than drop logs.
    "overflow_action block",
    "retry_type exponential_backoff",
    "retry_wait 1s",
    `retry_max_interval ${b.retryMaxInterval}`,
    `retry_timeout ${b.retryTimeout}`,
    // Flush what is buffered on shutdown so a rolling update loses nothing.
    "flush_at_shutdown true",
  ]);
}

function secondary(): string[] {
  // The buffer has no chunk keys, so only ${chunk_id} may appear in the name.
  return block("secondary", ["@type secondary_file", `directory ${FAILED_DIR}`, "basename failed.${chunk_id}"]);
}

function cloudwatchOutput(values: FluentdValues): string[] {
  return [
    ...block("filter kubernetes.**", [
      "@type record_transformer",
      // One log stream per container log file: <pod>_<namespace>_<container>-<id>.log.
      ...block("record", ["cw_stream_name ${tag_suffix[4]}"]),
    ]),
    "",
    ...block("match kubernetes.**", [
      "@type cloudwatch_logs",
      "@id out_cloudwatch_logs",
      `region ${values.cloudwatch.region}`,
      // Pulumi creates the group with its retention; FluentD only adds streams.
      `log_group_name ${quote(values.cloudwatch.logGroupName)}`,
      "auto_create_stream true",
      "log_stream_name_key cw_stream_name",
      "remove_log_stream_name_key true",
      "put_log_events_retry_limit 5",
      ...bufferSection(values, "cloudwatch"),
      ...secondary(),
    ]),
  ];
}

function searchOutput(values: FluentdValues): string[] {
  const s = values.search;
  if (!s) throw new Error(`fluentd.output is ${values.output} but fluentd.elasticsearch is not set`);
  return block("match kubernetes.**", [
    `@type ${values.output}`,
    `@id out_${values.output}`,
    `host ${s.host}`,
    `port ${s.port}`,
    `scheme ${s.scheme}`,
    `ssl_verify ${s.sslVerify}`,
    ...(s.credentialsSecret
      ? [`user "#{ENV['${SEARCH_USER_ENV}']}"`, `password "#{ENV['${SEARCH_PASSWORD_ENV}']}"`]
      : []),
    "logstash_format true",
    `logstash_prefix ${s.indexPrefix}`,
    "include_timestamp true",
    "suppress_type_name true",
    // Survive a restarted or replaced cluster node behind the endpoint.
    "reconnect_on_error true",
    "reload_on_failure true",
    "reload_connections false",
    "request_timeout 30s",
    ...bufferSection(values, values.output),
    ...secondary(),
  ]);
}

/** The complete `fluent.conf`. */
export function renderFluentConf(values: FluentdValues): string {
  const lines: string[] = [
    "# Rendered by charts/fluentd/fluent-conf.ts; edit that file, not this one.",
    ...block("system", ["log_level info"]),
    "",
    ...block("source", ["@type monitor_agent", "@id in_monitor_agent", "bind 0.0.0.0", `port ${MONITOR_PORT}`, "include_config false"]),
    "",
    ...block("source", [
      "@type tail",
      "@id in_tail_container_logs",
      `path ${CONTAINER_LOG_GLOB}`,
      // FluentD's own logs would loop back into the pipeline.
      `exclude_path [${quote(`/var/log/containers/*_${FLUENTD_NAMESPACE}_fluentd-*.log`)}]`,
      `pos_file ${POSITION_FILE}`,
      "tag kubernetes.*",
      "read_from_head true",
      "follow_inodes true",
      "refresh_interval 10",
      "rotate_wait 5",
      ...block("parse", ["@type cri", "merge_cri_fields true"]),
    ]),
    "",
    // containerd splits lines over 16 KiB into partial ("P") records.
    ...block("filter kubernetes.**", [
      "@type concat",
      "key message",
      "use_partial_cri_logtag true",
      "partial_cri_logtag_key logtag",
      "partial_cri_stream_key stream",
      'separator ""',
    ]),
    "",
    ...block("filter kubernetes.**", ["@type kubernetes_metadata", "@id filter_kube_metadata", "skip_master_url true"]),
    "",
    ...block("filter kubernetes.**", [
      "@type record_transformer",
      ...block("record", [`cluster_name ${quote(values.clusterName)}`]),
    ]),
    "",
    ...(values.output === "cloudwatch" ? cloudwatchOutput(values) : searchOutput(values)),
    "",
  ];
  return lines.join("\n");
}
