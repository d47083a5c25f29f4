/**
 * What the fluentd-kubernetes-daemonset image does, read from its Dockerfile
 * (fluent/fluentd-kubernetes-daemonset@b7eebe4d docker-image/v1.19/debian-cloudwatch,
 * the v1.19 cloudwatch variant of the pinned tag). See charts/image-contract.ts.
 */
import type { ImageContract } from "../image-contract";
import { MONITOR_PORT, STATE_DIR } from "./fluent-conf";

const DOCKERFILE = "fluent/fluentd-kubernetes-daemonset@b7eebe4d docker-image/v1.19/debian-cloudwatch/Dockerfile";

export const FLUENTD_CONTRACT: ImageContract = {
  name: "fluentd-kubernetes-daemonset",
  upstream: "fluent/fluentd-kubernetes-daemonset v1.19.3-debian-cloudwatch-1.1",
  // Root, on purpose: it reads every pod's log files on the node.
  user: { uid: 0, name: "root", source: `${DOCKERFILE}: USER root ("run fluentd as root for /var/log / /var/lib")` },
  entrypoint: { argv: ["tini", "--", "/fluentd/entrypoint.sh"], passesArgs: "fixed", source: `${DOCKERFILE}: ENTRYPOINT ["tini", "--", "/fluentd/entrypoint.sh"]` },
  ports: [{ port: MONITOR_PORT, serves: "monitor_agent (configured by the chart's fluent.conf)", source: "charts/fluentd/fluent-conf.ts @type monitor_agent" }],
  health: [{ port: MONITOR_PORT, path: "/api/plugins.json", source: "https://docs.fluentd.org/input/monitor_agent (GET /api/plugins.json)" }],
  writes: [{ path: STATE_DIR, why: "tail position files and buffers (configured by the chart)", source: "charts/fluentd/fluent-conf.ts STATE_DIR" }],
  commands: [],
  env: [
    { name: "FLUENTD_CONF", purpose: "configuration file under /fluentd/etc", source: `${DOCKERFILE}: ENV FLUENTD_CONF="fluent.conf"` },
    { name: "K8S_NODE_NAME", purpose: "node name for the kubernetes_metadata filter", source: "unverified: fluent-plugin-kubernetes_metadata_filter README" },
    { name: "AWS_REGION", purpose: "CloudWatch Logs region", source: "unverified: fluent-plugin-cloudwatch-logs README (region from the AWS SDK environment)" },
  ],
};

/** The contract of each fluentd container, by container name. */
export const FLUENTD_IMAGE_CONTRACTS: Readonly<Record<string, ImageContract>> = { fluentd: FLUENTD_CONTRACT };
