/**
 * Alerting rules shipped with Prometheus, as plain data (one rule file). Pure:
 * the chart writes it into the rules ConfigMap, the tools tests run
 * `promtool check rules` on it, and the unit tests check that every metric an
 * expression uses is exported by a configured scrape job.
 */

export interface AlertRuleInput {
  /** Alert when a certificate expires within this many days. */
  readonly certificateExpiryDays: number;
  /** Alert when a persistent volume has less than this percentage of its space free. */
  readonly volumeFreePercent: number;
  /**
   * Ship the etcd snapshot alerts. Off where no control plane of this platform takes
   * snapshots (kind, another distribution): there EtcdBackupMissing would fire forever.
   * @default true
   */
  readonly etcdBackups?: boolean;
}

export interface AlertRule {
  readonly alert: string;
  readonly expr: string;
  readonly for: string;
  readonly labels: Readonly<Record<string, string>>;
  readonly annotations: Readonly<Record<string, string>>;
}

export interface RuleGroup {
  readonly name: string;
  readonly rules: readonly AlertRule[];
}

/** Alert names, so tests and documentation can refer to them. */
export const ALERT = {
  nodeNotReady: "KubernetesNodeNotReady",
  podCrashLooping: "KubernetesPodCrashLooping",
  hpaAtMax: "KubernetesHpaAtMaxReplicas",
  volumeNearlyFull: "KubernetesPersistentVolumeNearlyFull",
  certificateExpiring: "TlsCertificateExpiringSoon",
  targetDown: "PrometheusTargetDown",
  configReloadFailed: "PrometheusConfigReloadFailed",
  etcdBackupMissing: "EtcdBackupMissing",
  etcdBackupFailed: "EtcdBackupFailed",
} as const;

function rule(
  alert: string,
  expr: string,
  forDuration: string,
  severity: "warning" | "critical",
  summary: string,
  description: string,
): AlertRule {
  return { alert, expr, for: forDuration, labels: { severity }, annotations: { summary, description } };
}

/**
 * The control plane's etcd snapshots (infra/nodes/bootstrap/etcd-backup.sh records each run
 * in node-exporter's textfile directory, interval included). Missing: no upload for two
 * intervals and a quarter of an hour, or the metrics are gone altogether (the timer never
 * ran, or node-exporter cannot see them). Failed: the last attempt did not upload.
 */
function etcdBackupRules(): RuleGroup {
  return {
    name: "etcd-backups",
    rules: [
      rule(
        ALERT.etcdBackupMissing,
        "time() - etcd_backup_last_success_timestamp_seconds > 2 * etcd_backup_interval_seconds + 900\n" +
          "  or absent(etcd_backup_last_attempt_timestamp_seconds)",
        "15m",
        "critical",
        "No etcd snapshot has reached the backup bucket recently",
        "The last successful etcd snapshot is older than two backup intervals (or no backup run was ever recorded): a control-plane replacement would restore old data. Check `journalctl -u etcd-backup` on the control plane.",
      ),
      rule(
        ALERT.etcdBackupFailed,
        "etcd_backup_last_attempt_success == 0",
        "5m",
        "warning",
        "The last etcd snapshot attempt failed",
        "etcd-backup.sh could not save or upload a snapshot; the timer retries at the next interval. Check `journalctl -u etcd-backup` on the control plane.",
      ),
    ],
  };
}

/** The rule file: `{ groups: [...] }` as Prometheus reads it. */
export function alertingRules(input: AlertRuleInput): { groups: RuleGroup[] } {
  const expirySeconds = input.certificateExpiryDays * 24 * 3600;
  const freeRatio = input.volumeFreePercent / 100;
  return {
    groups: [
      {
        name: "kubernetes",
        rules: [
          rule(
            ALERT.nodeNotReady,
            'kube_node_status_condition{condition="Ready",status="true"} == 0',
            "5m",
            "critical",
            "Node {{ $labels.node }} is not ready",
            "Node {{ $labels.node }} has not reported Ready for 5 minutes; its pods are not being served.",
          ),
          rule(
            ALERT.podCrashLooping,
            'max_over_time(kube_pod_container_status_waiting_reason{reason="CrashLoopBackOff"}[5m]) >= 1',
            "10m",
            "warning",
            "Pod {{ $labels.namespace }}/{{ $labels.pod }} is crash-looping",
            "Container {{ $labels.container }} of {{ $labels.namespace }}/{{ $labels.pod }} has been in CrashLoopBackOff for 10 minutes.",
          ),
          rule(
            ALERT.hpaAtMax,
            "kube_horizontalpodautoscaler_status_current_replicas\n" +
              "  >= on (namespace, horizontalpodautoscaler)\n" +
              "kube_horizontalpodautoscaler_spec_max_replicas",
            "15m",
            "warning",
            "HPA {{ $labels.namespace }}/{{ $labels.horizontalpodautoscaler }} is at its maximum",
            "{{ $labels.namespace }}/{{ $labels.horizontalpodautoscaler }} has run at its maximum replica count for 15 minutes; raise the maximum or add capacity.",
          ),
          rule(
            ALERT.volumeNearlyFull,
            "kubelet_volume_stats_available_bytes\n" +
              "  / on (namespace, persistentvolumeclaim)\n" +
              `kubelet_volume_stats_capacity_bytes < ${freeRatio}`,
            "5m",
            "warning",
            "Volume {{ $labels.namespace }}/{{ $labels.persistentvolumeclaim }} is nearly full",
            `Less than ${input.volumeFreePercent}% of {{ $labels.namespace }}/{{ $labels.persistentvolumeclaim }} is free ({{ $value | humanizePercentage }} left).`,
          ),
        ],
      },
      {
        name: "certificates",
        rules: [
          rule(
            ALERT.certificateExpiring,
            // cert-manager reports 0 until a certificate has been issued: those are
            // not "expiring", so only positive timestamps are compared.
            `(certmanager_certificate_expiration_timestamp_seconds > 0) - time() < ${expirySeconds}`,
            "15m",
            "warning",
            "Certificate {{ $labels.namespace }}/{{ $labels.name }} expires within " + `${input.certificateExpiryDays} days`,
            "cert-manager has not renewed {{ $labels.namespace }}/{{ $labels.name }}; it expires in {{ $value | humanizeDuration }}.",
          ),
        ],
      },
      ...(input.etcdBackups ?? true ? [etcdBackupRules()] : []),
      {
        name: "prometheus",
        rules: [
          rule(
            ALERT.targetDown,
            "up == 0",
            "5m",
            "warning",
            "Scrape target {{ $labels.job }}/{{ $labels.instance }} is down",
            "Prometheus has failed to scrape {{ $labels.instance }} (job {{ $labels.job }}) for 5 minutes.",
          ),
          rule(
            ALERT.configReloadFailed,
            "prometheus_config_last_reload_successful == 0",
            "10m",
            "warning",
            "Prometheus could not load its new configuration",
            "The last configuration reload failed; Prometheus keeps running the previous configuration. Check the config reloader's and Prometheus' logs.",
          ),
        ],
      },
    ],
  };
}
