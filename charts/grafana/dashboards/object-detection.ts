import { constantVariable, dashboard, Dashboard, promQuery } from "./builder";

/** The object-detection workloads: replicas against their HPA bounds (kube-state-metrics), CPU and memory per pod (cAdvisor). */
export function objectDetectionDashboard(opts: { namespace: string }): Dashboard {
  const ns = 'namespace="$namespace"';
  const containers = `${ns},container!="",container!="POD"`;
  return dashboard({
    uid: "platform-object-detection",
    title: "Object detection: workloads",
    description: "Replicas versus HPA bounds and resource use per pod of the object-detection services.",
    variables: [constantVariable("namespace", "Namespace", opts.namespace)],
    panels: [
      {
        title: "Replicas versus HPA bounds",
        width: 24,
        targets: [
          promQuery(`kube_horizontalpodautoscaler_status_current_replicas{${ns}}`, "{{horizontalpodautoscaler}} current"),
          promQuery(`kube_horizontalpodautoscaler_status_desired_replicas{${ns}}`, "{{horizontalpodautoscaler}} desired"),
          promQuery(`kube_horizontalpodautoscaler_spec_min_replicas{${ns}}`, "{{horizontalpodautoscaler}} min"),
          promQuery(`kube_horizontalpodautoscaler_spec_max_replicas{${ns}}`, "{{horizontalpodautoscaler}} max"),
        ],
      },
      {
        title: "Deployment replicas available",
        targets: [
          promQuery(`kube_deployment_status_replicas_available{${ns}}`, "{{deployment}} available"),
          promQuery(`kube_deployment_spec_replicas{${ns}}`, "{{deployment}} wanted"),
        ],
      },
      {
        title: "Container restarts (last hour)",
        targets: [promQuery(`sum by (pod) (increase(kube_pod_container_status_restarts_total{${ns}}[1h]))`, "{{pod}}")],
      },
      {
        title: "CPU per pod",
        unit: "cores",
        targets: [promQuery(`sum by (pod) (rate(container_cpu_usage_seconds_total{${containers}}[$__rate_interval]))`, "{{pod}}")],
      },
      {
        title: "CPU per pod, share of request",
        description: "What the HPA scales on: usage divided by the CPU request.",
        unit: "percentunit",
        targets: [
          promQuery(
            `sum by (pod) (rate(container_cpu_usage_seconds_total{${containers}}[$__rate_interval]))\n` +
              `  / on (pod) sum by (pod) (kube_pod_container_resource_requests{${ns},resource="cpu"})`,
            "{{pod}}",
          ),
        ],
      },
      {
        title: "Memory per pod (working set)",
        unit: "bytes",
        targets: [promQuery(`sum by (pod) (container_memory_working_set_bytes{${containers}})`, "{{pod}}")],
      },
      {
        title: "CPU throttling",
        unit: "percentunit",
        targets: [
          promQuery(
            `sum by (pod) (rate(container_cpu_cfs_throttled_periods_total{${containers}}[$__rate_interval]))\n` +
              `  / clamp_min(sum by (pod) (rate(container_cpu_cfs_periods_total{${containers}}[$__rate_interval])), 1e-9)`,
            "{{pod}}",
          ),
        ],
      },
    ],
  });
}
