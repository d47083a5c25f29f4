/**
 * The platform's pods that call into every application namespace, by namespace
 * and pod labels: NetworkPolicies admit them by exactly these. The ingress
 * controller is installed by Pulumi (infra/cluster/addons: its Helm chart's
 * `controller.selectorLabels` become the pod labels), Prometheus by the
 * prometheus chart; both sides read them from here, so a policy and the pods it
 * admits cannot drift apart.
 */

/** A set of pods: their namespace and labels every one of them carries. */
export interface PlatformPods {
  readonly namespace: string;
  readonly labels: Readonly<Record<string, string>>;
}

/**
 * The F5 NGINX Ingress Controller's pods (pod network, not host network). The
 * chart puts `controller.selectorLabels` on its pods (templates/_helpers.tpl,
 * `nginx-ingress.podLabels`).
 */
export const INGRESS_CONTROLLER_PODS: PlatformPods = {
  namespace: "nginx-ingress",
  labels: { "app.kubernetes.io/name": "nginx-ingress", "app.kubernetes.io/instance": "nginx-ingress" },
};

/** The Prometheus server's pods (the prometheus chart), which scrape every annotated pod. */
export const PROMETHEUS_PODS: PlatformPods = {
  namespace: "monitoring",
  labels: { "app.kubernetes.io/name": "prometheus" },
};
