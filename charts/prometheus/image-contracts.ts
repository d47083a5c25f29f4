/**
 * What the images of the metrics stack do (Prometheus, its config reloader,
 * node-exporter, kube-state-metrics), each fact with where it was read. The
 * upstream Dockerfiles were read at the commits named below, which are older
 * than the pinned tags: a fact that could have changed since says so.
 * See charts/image-contract.ts.
 */
import type { ImageContract } from "../image-contract";

const PROM_DOCKERFILE = "prometheus/prometheus@0180c950 Dockerfile";
const PROM_FLAGS = "https://prometheus.io/docs/prometheus/latest/command-line/prometheus/ (unverified against v3.11.3 itself)";

export const PROMETHEUS_CONTRACT: ImageContract = {
  name: "prometheus",
  upstream: "quay.io/prometheus/prometheus v3.11.3 (Dockerfile read at an older commit)",
  // The chart sets runAsUser 65534 (nobody): the USER line is not relied on.
  user: { name: "nobody", source: `unverified: USER nobody in current prometheus/prometheus Dockerfile; ${PROM_DOCKERFILE} (old) had USER prometheus` },
  entrypoint: { argv: ["/bin/prometheus"], passesArgs: "fixed", source: `${PROM_DOCKERFILE}: ENTRYPOINT [ "/bin/prometheus" ], WORKDIR /prometheus` },
  ports: [{ port: 9090, serves: "HTTP API, UI and /metrics (--web.listen-address)", source: `${PROM_DOCKERFILE}: EXPOSE 9090` }],
  health: [
    { port: 9090, path: "/-/healthy", source: "https://prometheus.io/docs/prometheus/latest/management_api/ (Health check)" },
    { port: 9090, path: "/-/ready", source: "https://prometheus.io/docs/prometheus/latest/management_api/ (Readiness check)" },
  ],
  writes: [{ path: "/prometheus", why: "TSDB (--storage.tsdb.path)", source: `${PROM_DOCKERFILE}: VOLUME [ "/prometheus" ]` }],
  commands: [
    {
      argv: ["prometheus"],
      flags: [
        "--config.file",
        "--storage.tsdb.path",
        "--storage.tsdb.retention.time",
        "--storage.tsdb.retention.size",
        "--web.enable-lifecycle",
        "--web.listen-address",
      ],
      source: PROM_FLAGS,
    },
  ],
  env: [],
};

const RELOADER_DOCKERFILE = "prometheus-operator/prometheus-operator@00189dca cmd/prometheus-config-reloader/Dockerfile";

export const CONFIG_RELOADER_CONTRACT: ImageContract = {
  name: "prometheus-config-reloader",
  upstream: "quay.io/prometheus-operator/prometheus-config-reloader v0.89.0 (Dockerfile read at an older commit)",
  user: { name: "nobody", source: `${RELOADER_DOCKERFILE}: USER nobody` },
  entrypoint: { argv: ["/bin/prometheus-config-reloader"], passesArgs: "fixed", source: `${RELOADER_DOCKERFILE}: ENTRYPOINT ["/bin/prometheus-config-reloader"]` },
  ports: [{ port: 8080, serves: "/metrics and /healthz (--listen-address)", source: "unverified: prometheus-operator cmd/prometheus-config-reloader/main.go --listen-address (default :8080)" }],
  health: [{ port: 8080, path: "/healthz", source: "unverified: prometheus-operator cmd/prometheus-config-reloader/main.go registers /healthz" }],
  writes: [],
  commands: [
    {
      argv: ["prometheus-config-reloader"],
      flags: ["--watched-dir", "--reload-url", "--listen-address"],
      source: "unverified: prometheus-operator cmd/prometheus-config-reloader/main.go flags (Documentation/platform/operator.md lists them for the sidecar)",
    },
  ],
  env: [],
};

const NODE_EXPORTER_DOCKERFILE = "prometheus/node_exporter@0c561fa1 Dockerfile";

export const NODE_EXPORTER_CONTRACT: ImageContract = {
  name: "node-exporter",
  upstream: "quay.io/prometheus/node-exporter v1.10.2 (Dockerfile read at an older commit)",
  user: { name: "nobody", source: `${NODE_EXPORTER_DOCKERFILE}: USER nobody` },
  entrypoint: { argv: ["/bin/node_exporter"], passesArgs: "fixed", source: `${NODE_EXPORTER_DOCKERFILE}: ENTRYPOINT [ "/bin/node_exporter" ]` },
  ports: [{ port: 9100, serves: "/metrics and a landing page at / (--web.listen-address)", source: `${NODE_EXPORTER_DOCKERFILE}: EXPOSE 9100` }],
  health: [{ port: 9100, path: "/", source: "unverified: node_exporter's landing page answers 200 at / (prometheus/exporter-toolkit web.LandingPage)" }],
  writes: [],
  commands: [
    {
      argv: ["node_exporter"],
      flags: [
        "--path.procfs",
        "--path.sysfs",
        "--path.rootfs",
        "--web.listen-address",
        "--collector.filesystem.mount-points-exclude",
        "--collector.netclass.ignored-devices",
        "--collector.netdev.device-exclude",
        "--collector.textfile.directory",
      ],
      source: "https://github.com/prometheus/node_exporter README (flags; unverified against v1.10.2 itself)",
    },
  ],
  env: [],
};

const KSM_DOCKERFILE = "kubernetes/kube-state-metrics@0711980b Dockerfile";

export const KUBE_STATE_METRICS_CONTRACT: ImageContract = {
  name: "kube-state-metrics",
  upstream: "registry.k8s.io/kube-state-metrics/kube-state-metrics v2.19.1 (Dockerfile read at an older commit)",
  user: { name: "nobody", source: `${KSM_DOCKERFILE}: FROM gcr.io/distroless/static, USER nobody` },
  entrypoint: {
    argv: ["/kube-state-metrics", "--port=8080", "--telemetry-port=8081"],
    passesArgs: "fixed",
    source: `${KSM_DOCKERFILE}: ENTRYPOINT ["/kube-state-metrics", "--port=8080", "--telemetry-port=8081"]`,
  },
  ports: [
    { port: 8080, serves: "object metrics and /livez (--port)", source: `${KSM_DOCKERFILE}: EXPOSE 8080 8081` },
    { port: 8081, serves: "telemetry and /readyz (--telemetry-port)", source: `${KSM_DOCKERFILE}: EXPOSE 8080 8081` },
  ],
  health: [
    { port: 8080, path: "/livez", source: "unverified: kube-state-metrics README (Health endpoints: /livez on the metrics port)" },
    { port: 8081, path: "/readyz", source: "unverified: kube-state-metrics README (Health endpoints: /readyz on the telemetry port)" },
  ],
  writes: [],
  commands: [{ argv: ["kube-state-metrics"], flags: ["--port", "--telemetry-port", "--resources"], source: "kube-state-metrics docs/cli-arguments.md (unverified against v2.19.1)" }],
  env: [],
  needsServiceAccountToken: { source: "kube-state-metrics lists and watches the API objects it exports (in-cluster config)" },
};

/** The contract of each container of the prometheus chart, by container name. */
export const PROMETHEUS_IMAGE_CONTRACTS: Readonly<Record<string, ImageContract>> = {
  prometheus: PROMETHEUS_CONTRACT,
  "config-reloader": CONFIG_RELOADER_CONTRACT,
  "node-exporter": NODE_EXPORTER_CONTRACT,
  "kube-state-metrics": KUBE_STATE_METRICS_CONTRACT,
};
