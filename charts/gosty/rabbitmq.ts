import * as kplus from "cdk8s-plus-28";
import { Construct } from "constructs";
import { ConfigFiles } from "../../constructs/config-files";
import { assertDnsLabel } from "../../constructs/names";
import { memoryMebibytes } from "../../constructs/resources";
import { Peer } from "../../constructs/caller-policy";
import { StatefulService } from "../../constructs/stateful-service";
import { GOSTY_NAMES, GOSTY_PART_OF, gostyLabels, gostyPods, gostyScript, probeTiming } from "./common";
import type { GostyValues } from "./values";

export const AMQP_PORT = 5672;
/** Port of the rabbitmq_prometheus plugin. */
export const RABBITMQ_METRICS_PORT = 15692;
const EPMD_PORT = 4369;
const DISTRIBUTION_PORT = 25672;
const RABBITMQ_DATA = "/var/lib/rabbitmq";
const COOKIE_DIR = "/run/erlang-cookie";
const SCRIPTS_DIR = "/scripts";

/** Props of {@link Rabbitmq}. Plain data only. */
export interface RabbitmqProps {
  /** Namespace of every object. */
  readonly namespace: string;
  /** The `gosty.rabbitmq` values (already validated by the values parser). */
  readonly values: GostyValues["rabbitmq"];
  /** StorageClass of the data volumes. */
  readonly storageClass: string;
  /**
   * Secret with the registry credentials for the image.
   * @default - none
   */
  readonly imagePullSecret?: string;
}

/**
 * The message broker of Gosty's jobs: a RabbitMQ StatefulSet (clustered when
 * it has more than one replica) with its configuration and the scripts its
 * init container and preStop hook run.
 */
export class Rabbitmq extends Construct {
  readonly service: StatefulService;

  constructor(scope: Construct, id: string, props: RabbitmqProps) {
    super(scope, id);
    assertDnsLabel("Rabbitmq namespace", props.namespace);
    const r = props.values;
    const ns = props.namespace;
    const clustered = r.replicas > 1;
    new kplus.ConfigMap(this, "Config", {
      metadata: { name: "rabbitmq-config", namespace: ns, labels: gostyLabels() },
      data: { "gosty.conf": rabbitmqConf(r), enabled_plugins: "[rabbitmq_management,rabbitmq_prometheus,rabbitmq_peer_discovery_k8s].\n" },
    });
    const scripts = new ConfigFiles(this, "Scripts", {
      name: "rabbitmq-scripts",
      namespace: ns,
      labels: gostyLabels(),
      files: { "erlang-cookie.sh": gostyScript("erlang-cookie.sh"), "rabbitmq-drain.sh": gostyScript("rabbitmq-drain.sh") },
    });
    this.service = new StatefulService(this, "Rabbitmq", {
      name: "rabbitmq",
      namespace: ns,
      partOf: GOSTY_PART_OF,
      image: r.image,
      replicas: r.replicas,
      // Nodes other than -0 wait for it to join; they must be allowed to start together.
      podManagementPolicy: "Parallel",
      ports: [
        { name: "amqp", port: AMQP_PORT },
        { name: "management", port: 15672 },
        { name: "prometheus", port: RABBITMQ_METRICS_PORT },
        { name: "epmd", port: EPMD_PORT },
        { name: "cluster", port: DISTRIBUTION_PORT },
      ],
      // The API server publishes jobs, the workers consume them; the nodes of a
      // cluster find each other (epmd) and talk Erlang distribution. The
      // management API is for kubectl port-forward only (not subject to policies).
      callers: [
        { peer: gostyPods(GOSTY_NAMES.apiServer), ports: [AMQP_PORT] },
        { peer: gostyPods(GOSTY_NAMES.worker), ports: [AMQP_PORT] },
        { peer: Peer.pods({ "app.kubernetes.io/name": "rabbitmq" }), ports: [EPMD_PORT, DISTRIBUTION_PORT] },
      ],
      volumeClaims: [{ name: "data", mountPath: RABBITMQ_DATA, size: r.storageSize, storageClassName: props.storageClass }],
      fileMounts: [
        { name: "config", configMapName: "rabbitmq-config", mountPath: "/etc/rabbitmq/conf.d/20-gosty.conf", subPath: "gosty.conf" },
        { name: "plugins", configMapName: "rabbitmq-config", mountPath: "/etc/rabbitmq/enabled_plugins", subPath: "enabled_plugins" },
        { name: "erlang-cookie", secretName: r.secret.name, mountPath: COOKIE_DIR },
        { name: "scripts", configMapName: scripts.configMap.name, mountPath: SCRIPTS_DIR },
      ],
      scratchDirs: { logs: "/var/log/rabbitmq" },
      initContainers: [
        {
          name: "erlang-cookie",
          command: ["sh", `${SCRIPTS_DIR}/erlang-cookie.sh`, `${COOKIE_DIR}/${r.secret.erlangCookieKey}`, `${RABBITMQ_DATA}/.erlang.cookie`],
        },
      ],
      envFromFields: { POD_NAME: "metadata.name", POD_NAMESPACE: "metadata.namespace" },
      env: {
        // The CLI tools find the cookie in $HOME (see erlang-cookie.sh).
        HOME: RABBITMQ_DATA,
        RABBITMQ_USE_LONGNAME: "true",
        RABBITMQ_NODENAME: "rabbit@$(POD_NAME).rabbitmq-headless.$(POD_NAMESPACE)",
      },
      envFromSecrets: {
        RABBITMQ_DEFAULT_USER: { secretName: r.secret.name, key: r.secret.usernameKey },
        RABBITMQ_DEFAULT_PASS: { secretName: r.secret.name, key: r.secret.passwordKey },
      },
      probes: {
        readiness: kplus.Probe.fromTcpSocket({ port: AMQP_PORT, ...probeTiming(10, 5, 3) }),
        liveness: kplus.Probe.fromCommand(["rabbitmq-diagnostics", "-q", "ping"], probeTiming(60, 20, 3)),
        startup: kplus.Probe.fromTcpSocket({ port: AMQP_PORT, ...probeTiming(10, 5, 60) }),
      },
      resources: r.resources,
      security: { runAsUser: 999 },
      shutdown: {
        // A clustered node hands its queue leaders over before it stops (within
        // the script's 540 s + 30 s); a lone node just flushes to disk.
        terminationGracePeriodSeconds: clustered ? 600 : 60,
        preStopCommand: clustered ? ["sh", `${SCRIPTS_DIR}/rabbitmq-drain.sh`] : undefined,
      },
      metrics: { port: RABBITMQ_METRICS_PORT, path: "/metrics" },
      imagePullSecret: props.imagePullSecret,
    });
  }
}

function rabbitmqConf(r: GostyValues["rabbitmq"]): string {
  const memoryBytes = (memoryMebibytes(r.resources.memory.limit) ?? 1024) * 1024 * 1024;
  return [
    // RabbitMQ 4.1+ Kubernetes peer discovery: the pod with ordinal 0 forms
    // the cluster and every other pod joins it, found through its stable name
    // under the headless Service. No Kubernetes API access.
    "cluster_formation.peer_discovery_backend = k8s",
    "cluster_name = gosty",
    // Size alarms from the container's limit, not the node's memory.
    `total_memory_available_override_value = ${memoryBytes}`,
    "vm_memory_high_watermark.relative = 0.6",
    "disk_free_limit.absolute = 1GB",
    "",
  ].join("\n");
}
