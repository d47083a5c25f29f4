import { JOB } from "../../prometheus/scrape-config";
import { dashboard, Dashboard, PanelSpec, promQuery } from "./builder";

const REQUESTS = `nginx_ingress_nginx_http_requests_total{job="${JOB.ingressController}"}`;
const UPSTREAM = "nginx_ingress_controller_upstream_server_response_latency_ms";
const DAY = 24 * 3600;

/**
 * The F5 NGINX Ingress Controller: request rate (NGINX's own counter), error
 * ratio and latency from the per-upstream latency histogram (which carries the
 * response code), and the time left on every cert-manager certificate.
 */
export function ingressDashboard(opts: { certificateExpiryDays: number }): Dashboard {
  return dashboard({
    uid: "platform-ingress",
    title: "Ingress controller and TLS certificates",
    description:
      "Requests, errors and latency of the F5 NGINX Ingress Controller, and the time to expiry of the TLS certificates cert-manager manages.",
    panels: [...summaryPanels(), ...trafficPanels(), ...certificatePanels(opts.certificateExpiryDays)],
  });
}

/** The headline numbers: request rate, 5xx ratio, whether the last config reload worked. */
function summaryPanels(): PanelSpec[] {
  return [
    {
      type: "stat",
      title: "Requests per second",
      width: 6,
      height: 4,
      unit: "reqps",
      targets: [promQuery(`sum(rate(${REQUESTS}[$__rate_interval]))`)],
    },
    {
      type: "stat",
      title: "Requests per minute",
      width: 6,
      height: 4,
      unit: "reqpm",
      targets: [promQuery(`sum(rate(${REQUESTS}[$__rate_interval])) * 60`)],
    },
    {
      type: "stat",
      title: "5xx ratio",
      width: 6,
      height: 4,
      unit: "percentunit",
      redAbove: 0.05,
      targets: [
        promQuery(
          `sum(rate(${UPSTREAM}_count{code=~"5.."}[$__rate_interval])) / clamp_min(sum(rate(${UPSTREAM}_count[$__rate_interval])), 1e-9)`,
        ),
      ],
    },
    {
      type: "stat",
      title: "Last config reload",
      description: "1 when the controller's last NGINX reload succeeded.",
      width: 6,
      height: 4,
      redBelow: 1,
      targets: [promQuery("min(nginx_ingress_controller_nginx_last_reload_status)")],
    },
  ];
}

/** Requests, errors, latency, connections and reloads over time. */
function trafficPanels(): PanelSpec[] {
  return [
    {
      title: "Requests per second",
      unit: "reqps",
      targets: [promQuery(`sum by (pod) (rate(${REQUESTS}[$__rate_interval]))`, "{{pod}}")],
    },
    {
      title: "Requests per minute",
      unit: "reqpm",
      targets: [promQuery(`sum(increase(${REQUESTS}[1m]))`, "requests in the last minute")],
    },
    {
      title: "Upstream responses by status class",
      unit: "reqps",
      stacked: true,
      targets: [
        promQuery(
          `sum by (class) (label_replace(rate(${UPSTREAM}_count[$__rate_interval]), "class", "\${1}xx", "code", "([0-9]).."))`,
          "{{class}}",
        ),
      ],
    },
    {
      title: "Error ratio (4xx, 5xx)",
      unit: "percentunit",
      min: 0,
      targets: [
        promQuery(
          `sum(rate(${UPSTREAM}_count{code=~"5.."}[$__rate_interval])) / clamp_min(sum(rate(${UPSTREAM}_count[$__rate_interval])), 1e-9)`,
          "5xx",
        ),
        promQuery(
          `sum(rate(${UPSTREAM}_count{code=~"4.."}[$__rate_interval])) / clamp_min(sum(rate(${UPSTREAM}_count[$__rate_interval])), 1e-9)`,
          "4xx",
        ),
      ],
    },
    {
      title: "Upstream latency",
      unit: "ms",
      targets: [0.5, 0.95, 0.99].map((q) =>
        promQuery(
          `histogram_quantile(${q}, sum by (le) (rate(${UPSTREAM}_bucket[$__rate_interval])))`,
          `p${Math.round(q * 100)}`,
        ),
      ),
    },
    {
      title: "p95 latency by service",
      unit: "ms",
      targets: [
        promQuery(
          `histogram_quantile(0.95, sum by (le, service) (rate(${UPSTREAM}_bucket[$__rate_interval])))`,
          "{{service}}",
        ),
      ],
    },
    {
      title: "Active connections",
      targets: [
        promQuery("sum(nginx_ingress_nginx_connections_active)", "active"),
        promQuery("sum(nginx_ingress_nginx_connections_waiting)", "idle keep-alive"),
      ],
    },
    {
      title: "Config reloads",
      targets: [
        promQuery("sum(increase(nginx_ingress_controller_nginx_reloads_total[$__rate_interval]))", "reloads"),
        promQuery("sum(increase(nginx_ingress_controller_nginx_reload_errors_total[$__rate_interval]))", "failed"),
      ],
    },
  ];
}

/** Time to expiry and readiness of every cert-manager certificate; red where the certificate alert fires. */
function certificatePanels(certificateExpiryDays: number): PanelSpec[] {
  return [
    {
      type: "bargauge",
      title: "TLS certificates: time to expiry",
      description: `Red below ${certificateExpiryDays} days, when the certificate alert fires.`,
      unit: "s",
      redBelow: certificateExpiryDays * DAY,
      targets: [
        promQuery(
          "min by (namespace, name) (certmanager_certificate_expiration_timestamp_seconds > 0) - time()",
          "{{namespace}}/{{name}}",
        ),
      ],
    },
    {
      type: "table",
      title: "TLS certificates: ready",
      targets: [
        {
          ...promQuery('max by (namespace, name, issuer_name) (certmanager_certificate_ready_status{condition="True"})'),
          instant: true,
          range: false,
        },
      ],
    },
  ];
}
