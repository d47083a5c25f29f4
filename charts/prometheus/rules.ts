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
