/** Object names and ports of the DL Streamer application, shared by its components. */

/** Object names other tools and the README rely on. */
export const DLSTREAMER_NAMES = {
  pipelineServer: "pipeline-server",
  haproxy: "haproxy",
  mosquitto: "mosquitto",
  /** ClusterIP Service of the anonymous, write-only publisher listener. */
  mosquittoPublisher: "mosquitto-publisher",
  /** Suspended CronJob used as the template of on-demand status Jobs. */
  pipelineStatus: "pipeline-status",
} as const;

/** Ports. */
export const PIPELINE_SERVER_PORT = 8080;
export const HAPROXY_PORT = 8080;
export const HAPROXY_STATS_PORT = 8404;
export const MOSQUITTO_PORT = 1883;
export const MOSQUITTO_PUBLISHER_PORT = 1884;

/** Label `app.kubernetes.io/part-of` of every object of the application. */
export const DLSTREAMER_PART_OF = "dlstreamer";
