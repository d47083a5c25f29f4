import * as kplus from "cdk8s-plus-28";
import * as k8s from "cdk8s-plus-28/lib/imports/k8s";
import { Construct } from "constructs";
import { ConfigFiles } from "../../constructs/config-files";
import { assertDnsLabel } from "../../constructs/names";
import { memoryMebibytes } from "../../constructs/resources";
import { StatefulService } from "../../constructs/stateful-service";
import { Peer } from "../../constructs/caller-policy";
import { FLUENTD_NAMES } from "../fluentd/chart";
import { FLUENTD_NAMESPACE } from "../fluentd/values";
import { GOSTY_NAMES, GOSTY_PART_OF, gostyLabels, gostyPods, gostyScript, probeTiming } from "./common";
import type { GostyValues } from "./values";

export const ELASTICSEARCH_PORT = 9200;
/** Name of the Job (and pod label `app.kubernetes.io/name`) that sets kibana_system's password. */
export const KIBANA_PASSWORD_JOB = "kibana-system-password";
const ES_CONFIG = "/usr/share/elasticsearch/config";
const SCRIPTS_DIR = "/scripts";
const SCRIPTS_CONFIG_MAP = "elasticsearch-scripts";

/** Props of {@link Elasticsearch}. Plain data only. */
export interface ElasticsearchProps {
  /** Namespace of every object. */
  readonly namespace: string;
  /** The `gosty.logging` values (already validated by the values parser). */
  readonly values: GostyValues["logging"];
  /** StorageClass of Elasticsearch's data volume. */
  readonly storageClass: string;
  /**
   * Secret with the registry credentials for the images.
   * @default - none
   */
  readonly imagePullSecret?: string;
}

/**
 * The store of the application's logs (FluentD ships them here, Kibana shows
 * them): a single-node Elasticsearch with security on, and the Job that gives
 * the built-in `kibana_system` user the password Kibana reads from the Secret.
 */
export class Elasticsearch extends Construct {
  readonly service: StatefulService;

  constructor(scope: Construct, id: string, props: ElasticsearchProps) {
    super(scope, id);
    assertDnsLabel("Elasticsearch namespace", props.namespace);
    new ConfigFiles(this, "Scripts", {
      name: SCRIPTS_CONFIG_MAP,
      namespace: props.namespace,
      labels: gostyLabels(),
      files: {
        "elasticsearch-ready.sh": gostyScript("elasticsearch-ready.sh"),
        "kibana-system-password.sh": gostyScript("kibana-system-password.sh"),
      },
    });
    this.service = this.elasticsearchNode(props);
    this.kibanaPasswordJob(props);
  }

  private elasticsearchNode(props: ElasticsearchProps): StatefulService {
    const l = props.values;
    const heapMib = Math.floor((memoryMebibytes(l.elasticsearchResources.memory.limit) ?? 2048) / 2);
    return new StatefulService(this, "Elasticsearch", {
      name: "elasticsearch",
      namespace: props.namespace,
      partOf: GOSTY_PART_OF,
      image: l.elasticsearchImage,
      ports: [{ name: "http", port: ELASTICSEARCH_PORT }],
      // Kibana reads the logs, the password Job sets kibana_system's password, and
      // FluentD ships logs here when its output is Elasticsearch.
      callers: [
        { peer: gostyPods(GOSTY_NAMES.kibana), ports: [ELASTICSEARCH_PORT] },
        { peer: gostyPods(KIBANA_PASSWORD_JOB), ports: [ELASTICSEARCH_PORT] },
        { peer: Peer.podsIn(FLUENTD_NAMESPACE, { "app.kubernetes.io/name": FLUENTD_NAMES.daemonSet }), ports: [ELASTICSEARCH_PORT] },
      ],
      volumeClaims: [{ name: "data", mountPath: "/usr/share/elasticsearch/data", size: l.storageSize, storageClassName: props.storageClass }],
      fileMounts: [{ name: "scripts", configMapName: SCRIPTS_CONFIG_MAP, mountPath: SCRIPTS_DIR }],
      env: {
        // ES_SETTING_<NAME> with '_' for '.' sets elasticsearch.yml keys.
        ES_SETTING_DISCOVERY_TYPE: "single-node",
        ES_SETTING_CLUSTER_NAME: "gosty-logs",
        // No mmap: avoids raising vm.max_map_count on the node (a privileged init container).
        ES_SETTING_NODE_STORE_ALLOW__MMAP: "false",
        ES_SETTING_XPACK_SECURITY_ENABLED: "true",
        // Traffic stays inside the namespace (and in Linkerd's mTLS when enabled).
        ES_SETTING_XPACK_SECURITY_HTTP_SSL_ENABLED: "false",
        ES_SETTING_XPACK_SECURITY_TRANSPORT_SSL_ENABLED: "false",
        ES_JAVA_OPTS: `-Xms${heapMib}m -Xmx${heapMib}m`,
      },
      envFromSecrets: { ELASTIC_PASSWORD: { secretName: l.secret.name, key: l.secret.elasticPasswordKey } },
      probes: {
        readiness: kplus.Probe.fromCommand(["sh", `${SCRIPTS_DIR}/elasticsearch-ready.sh`], probeTiming(10, 5, 3)),
        liveness: kplus.Probe.fromTcpSocket({ port: ELASTICSEARCH_PORT, ...probeTiming(20, 5, 6) }),
        startup: kplus.Probe.fromTcpSocket({ port: ELASTICSEARCH_PORT, ...probeTiming(10, 5, 60) }),
      },
      resources: l.elasticsearchResources,
      security: { runAsUser: 1000, fsGroup: 1000 },
      // The root filesystem stays read-only: the entrypoint writes the
      // keystore into the config directory, so that directory is a scratch
      // volume seeded from the image's own config files; GC logs go to logs/.
      scratchDirs: { config: ES_CONFIG, logs: "/usr/share/elasticsearch/logs" },
      initContainers: [{ name: "seed-config", command: ["cp", "-a", `${ES_CONFIG}/.`, "/seed/"], mounts: [{ volume: "config", mountPath: "/seed" }] }],
      shutdown: { terminationGracePeriodSeconds: 120 },
      imagePullSecret: props.imagePullSecret,
    });
  }

  /**
   * kibana_system's password can only be set through the API: a Job runs
   * kibana-system-password.sh (idempotent), retried until Elasticsearch answers.
   */
  private kibanaPasswordJob(props: ElasticsearchProps): k8s.KubeJob {
    const l = props.values;
    const name = KIBANA_PASSWORD_JOB;
    const secretEnv = (envName: string, key: string) => ({ name: envName, valueFrom: { secretKeyRef: { name: l.secret.name, key } } });
    // curl needs no home or files of the image's user.
    const user = { runAsNonRoot: true, runAsUser: 10001, runAsGroup: 10001 };
    return new k8s.KubeJob(this, "KibanaPasswordJob", {
      metadata: { name, namespace: props.namespace, labels: gostyLabels() },
      spec: {
        backoffLimit: 20,
        ttlSecondsAfterFinished: 3600,
        template: {
          metadata: {
            labels: { "app.kubernetes.io/name": name, ...gostyLabels() },
            // An injected Linkerd proxy keeps running after the script exits, so
            // the Job would never complete; the one curl call needs no mesh.
            annotations: { "linkerd.io/inject": "disabled" },
          },
          spec: {
            restartPolicy: "OnFailure",
            automountServiceAccountToken: false,
            securityContext: { ...user, seccompProfile: { type: "RuntimeDefault" } },
            imagePullSecrets: props.imagePullSecret ? [{ name: props.imagePullSecret }] : undefined,
            containers: [
              {
                name: "set-password",
                image: l.elasticsearchImage,
                imagePullPolicy: "IfNotPresent",
                command: ["sh", `${SCRIPTS_DIR}/kibana-system-password.sh`],
                env: [
                  { name: "ELASTICSEARCH_URL", value: `http://elasticsearch:${ELASTICSEARCH_PORT}` },
                  secretEnv("ELASTIC_PASSWORD", l.secret.elasticPasswordKey),
                  secretEnv("KIBANA_PASSWORD", l.secret.kibanaPasswordKey),
                ],
                volumeMounts: [{ name: "scripts", mountPath: SCRIPTS_DIR, readOnly: true }],
                resources: {
                  requests: { cpu: k8s.Quantity.fromString("50m"), memory: k8s.Quantity.fromString("64Mi") },
                  limits: { cpu: k8s.Quantity.fromString("200m"), memory: k8s.Quantity.fromString("128Mi") },
                },
                securityContext: {
                  ...user,
                  readOnlyRootFilesystem: true,
                  allowPrivilegeEscalation: false,
                  privileged: false,
                  capabilities: { drop: ["ALL"] },
                },
              },
            ],
            volumes: [{ name: "scripts", configMap: { name: SCRIPTS_CONFIG_MAP } }],
          },
        },
      },
    });
  }
}
