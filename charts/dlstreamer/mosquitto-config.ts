/**
 * The Eclipse Mosquitto 2.x configuration of the MQTT broker that receives
 * the pipeline servers' inference results. Pure: the chart puts the text in a
 * ConfigMap, the tests start a real `mosquitto` with it.
 *
 * Mosquitto 2 refuses anonymous clients on configured listeners. The client
 * listener (the one exposed outside the cluster) keeps that default and
 * authenticates against a password file mounted from a Secret; anonymous
 * access there exists only when explicitly asked for.
 *
 * The pipeline servers publish results from inside the cluster, and their
 * request API has no field for broker credentials. They get a second,
 * cluster-internal listener: anonymous but write-only (an ACL denies every
 * subscription), and reachable only from the pipeline server pods (a
 * NetworkPolicy in the chart). Nobody can read results without a password.
 */

/** The in-cluster listener the pipeline servers publish to. */
export interface PublisherListenerOptions {
  /** Port of the listener; never exposed outside the cluster. */
  readonly port: number;
  /** Path of the ACL file ({@link PUBLISHER_ACL}) that makes anonymous clients write-only. */
  readonly aclFile: string;
}

/** Options of {@link renderMosquittoConfig}. */
export interface MosquittoConfigOptions {
  /**
   * Port of the client listener.
   * @default 1883
   */
  readonly port?: number;
  /**
   * Address the listeners bind to.
   * @default - every interface (what a pod needs)
   */
  readonly bindAddress?: string;
  /**
   * Accept clients that send no user name on the client listener. Anyone who
   * can reach the port can then publish and subscribe to every topic.
   * @default false
   */
  readonly allowAnonymous?: boolean;
  /**
   * Path of the password file (`mosquitto_passwd` format, hashed passwords),
   * mounted from a Secret. Required unless {@link allowAnonymous} is true.
   * @default - no password file
   */
  readonly passwordFile?: string;
  /**
   * An anonymous, write-only listener for in-cluster publishers.
   * @default - no such listener
   */
  readonly publisherListener?: PublisherListenerOptions;
  /**
   * Directory for the persistence database (retained messages, durable
   * subscriptions and queued QoS 1/2 messages survive a broker restart).
   * @default - persistence disabled
   */
  readonly persistenceLocation?: string;
  /**
   * Seconds between two saves of the persistence database.
   * @default 60
   */
  readonly autosaveIntervalSeconds?: number;
  /**
   * Largest message accepted, in bytes; 0 means the protocol maximum. Frame
   * blobs published next to metadata can be large.
   * @default 0
   */
  readonly maxPacketSizeBytes?: number;
}

/**
 * ACL of the publisher listener. Rules before any `user` line apply to
 * anonymous clients: write anywhere, read nothing.
 */
export const PUBLISHER_ACL = "# Anonymous in-cluster publishers may publish results and read nothing.\ntopic write #\n";

const ABSOLUTE_PATH = /^\/[A-Za-z0-9._/-]*$/;

/** Every problem with the options, as `key: got ...; allowed: ...`. Empty when valid. */
export function mosquittoConfigProblems(o: MosquittoConfigOptions): string[] {
  const problems: string[] = [];
  const bad = (key: string, value: unknown, allowed: string) =>
    problems.push(`mosquitto.${key}: got ${JSON.stringify(value)}; allowed: ${allowed}`);
  const port = (key: string, value: number | undefined) => {
    if (value !== undefined && (!Number.isInteger(value) || value < 1024 || value > 65535)) {
      bad(key, value, "an integer from 1024 to 65535 (the broker runs as a non-root user)");
    }
  };
  port("port", o.port);
  port("publisherListener.port", o.publisherListener?.port);
  if (o.publisherListener && o.publisherListener.port === (o.port ?? 1883)) {
    bad("publisherListener.port", o.publisherListener.port, "a port other than the client listener's");
  }
  if (o.bindAddress !== undefined && !/^[0-9a-fA-F.:]+$/.test(o.bindAddress)) {
    bad("bindAddress", o.bindAddress, "an IPv4 or IPv6 address such as 127.0.0.1");
  }
  if (!o.allowAnonymous && o.passwordFile === undefined) {
    bad("passwordFile", o.passwordFile, "a password file path (required unless allowAnonymous is true: no client could connect)");
  }
  for (const [key, path] of [
    ["passwordFile", o.passwordFile],
    ["persistenceLocation", o.persistenceLocation],
    ["publisherListener.aclFile", o.publisherListener?.aclFile],
  ] as const) {
    if (path !== undefined && !ABSOLUTE_PATH.test(path)) bad(key, path, "an absolute path without spaces");
  }
  const autosave = o.autosaveIntervalSeconds;
  if (autosave !== undefined && (!Number.isInteger(autosave) || autosave < 1 || autosave > 86400)) {
    bad("autosaveIntervalSeconds", autosave, "an integer from 1 to 86400");
  }
  const max = o.maxPacketSizeBytes;
  if (max !== undefined && (!Number.isInteger(max) || max < 0 || max > 268435455)) {
    bad("maxPacketSizeBytes", max, "an integer from 0 (protocol maximum) to 268435455");
  }
  return problems;
}

/** Renders mosquitto.conf. Throws on invalid options, naming each one. */
export function renderMosquittoConfig(o: MosquittoConfigOptions): string {
  const problems = mosquittoConfigProblems(o);
  if (problems.length > 0) throw new Error(`Invalid Mosquitto configuration options:\n  - ${problems.join("\n  - ")}`);
  const bind = o.bindAddress ? ` ${o.bindAddress}` : "";
  const lines = [
    "# Rendered by charts/dlstreamer/mosquitto-config.ts: edit the renderer, not this file.",
    "# Logs go to the container log; stderr because mosquitto does not flush stdout when it is not a terminal.",
    "log_dest stderr",
    "log_type error",
    "log_type warning",
    "log_type notice",
    "log_type information",
    "log_timestamp_format %Y-%m-%dT%H:%M:%S",
    "connection_messages true",
    "",
  ];
  if (o.persistenceLocation !== undefined) {
    const dir = o.persistenceLocation.endsWith("/") ? o.persistenceLocation : `${o.persistenceLocation}/`;
    lines.push("persistence true", `persistence_location ${dir}`, `autosave_interval ${o.autosaveIntervalSeconds ?? 60}`);
  } else {
    lines.push("persistence false");
  }
  if (o.maxPacketSizeBytes !== undefined && o.maxPacketSizeBytes > 0) lines.push(`max_packet_size ${o.maxPacketSizeBytes}`);
  lines.push(
    "",
    "# Each listener has its own authentication settings.",
    "per_listener_settings true",
    "",
    "# Clients (the node port): authenticated unless mosquitto.allowAnonymous says otherwise.",
    `listener ${o.port ?? 1883}${bind}`,
    "protocol mqtt",
  );
  if (o.allowAnonymous) {
    lines.push("# Anonymous access explicitly enabled by the values flag mosquitto.allowAnonymous.", "allow_anonymous true");
  } else {
    lines.push("allow_anonymous false");
  }
  if (o.passwordFile !== undefined) lines.push(`password_file ${o.passwordFile}`);
  if (o.publisherListener) {
    lines.push(
      "",
      "# In-cluster publishers (the pipeline servers): anonymous, write-only by ACL,",
      "# reachable only from the pipeline server pods (NetworkPolicy).",
      `listener ${o.publisherListener.port}${bind}`,
      "protocol mqtt",
      "allow_anonymous true",
      `acl_file ${o.publisherListener.aclFile}`,
    );
  }
  lines.push("");
  return lines.join("\n");
}
