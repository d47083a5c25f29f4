import { Chart, Size } from "cdk8s";
import * as kplus from "cdk8s-plus-28";
import * as k8s from "cdk8s-plus-28/lib/imports/k8s";
import { Construct } from "constructs";
import { AppNamespace } from "../../constructs/app-namespace";
import { Microservice } from "../../constructs/microservice";
import { addImagePullSecret, tcpLiveness, useHealthPort, useRecreateStrategy } from "../../constructs/deployment-patches";
import { overrideProbes } from "../../constructs/probe-overrides";
import { memoryMebibytes } from "../../constructs/resources";
import { StatefulService } from "../../constructs/stateful-service";
import { TlsIngress } from "../../constructs/tls-ingress";
import { FLUENTD_NAMESPACE } from "../fluentd/values";
import { PROMETHEUS_NAMESPACE } from "../prometheus/values";
import { ingressIssuer } from "../tls";
import type { PlatformValues } from "../values";
import {
  NetworkChaos,
  NetworkChaosSpecAction,
  NetworkChaosSpecDirection,
  NetworkChaosSpecMode,
  NetworkChaosSpecTargetMode,
  PodChaos,
  PodChaosSpecAction,
  PodChaosSpecMode,
} from "./imports/chaos-mesh.org";
import { GOSTY_NAMESPACE, GostyValues } from "./values";

/** Props of {@link GostyChart}. Plain data only. */
export interface GostyChartProps {
  readonly values: PlatformValues;
}

export const API_SERVER_PORT = 8000;
export const FILE_SERVER_PORT = 8001;
export const AMQP_PORT = 5672;
export const MONGODB_PORT = 27017;
export const ELASTICSEARCH_PORT = 9200;
export const KIBANA_PORT = 5601;
/** Where the file server keeps uploaded and transcoded files. */
export const FILE_SERVER_STORAGE_PATH = "/app/storage";
/** ConfigMap with the connection settings every Gosty service reads. */
export const GOSTY_CONFIG_MAP = "gosty-config";

const PART_OF = "gosty";
const RABBITMQ_DATA = "/var/lib/rabbitmq";
const ES_CONFIG = "/usr/share/elasticsearch/config";

/**
 * Gosty, the video transcoding service: API server (behind the ingress), file
 * server with a volume for uploaded and transcoded files, workers autoscaled
 * on CPU, RabbitMQ and MongoDB as StatefulSets, and the optional pieces the
 * original ran around it: Elasticsearch + Kibana for logs, Linkerd proxy
 * injection, Chaos Mesh experiments.
 */
export class GostyChart extends Chart {
  readonly apiServer: Microservice;
  readonly fileServer: Microservice;
  readonly worker: Microservice;
  readonly rabbitmq: StatefulService;
  readonly mongodb: StatefulService;
  readonly elasticsearch?: StatefulService;
  readonly kibana?: Microservice;

  constructor(scope: Construct, id: string, props: GostyChartProps) {
    super(scope, id, { disableResourceNameHashes: true });
    const { global, gosty: v } = props.values;
    const ns = GOSTY_NAMESPACE;

    const namespace = new AppNamespace(this, "Namespace", { name: ns, labels: { "app.kubernetes.io/part-of": PART_OF } });
    if (v.linkerd.enabled) {
      // Linkerd's proxy injector adds the proxy to every pod created in the
      // namespace. Under the `restricted` Pod Security level this needs the
      // Linkerd CNI plugin (the proxy-init container would need NET_ADMIN).
      namespace.namespace.metadata.addAnnotation("linkerd.io/inject", "enabled");
      // Protocols where the client does not speak HTTP first: skip Linkerd's
      // protocol detection (and its 10 s timeout) for them.
      namespace.namespace.metadata.addAnnotation("config.linkerd.io/opaque-ports", "4369,5672,25672,27017");
    }

    this.rabbitmq = this.rabbitmqCluster(v, global.storageClass, ns);
    this.mongodb = this.mongoDb(v, global.storageClass, ns);

    new kplus.ConfigMap(this, "Config", {
      metadata: { name: GOSTY_CONFIG_MAP, namespace: ns, labels: { "app.kubernetes.io/part-of": PART_OF } },
      // Variable names are the ones the Gosty services read (their config.env).
      data: {
        MONGODB_SERVICE_HOST: `${this.mongodb.serviceName}.${ns}.svc`,
        MONGODB_SERVICE_PORT: String(MONGODB_PORT),
        MONGODB_DATABASE: v.mongodb.database,
        MONGODB_TIMEOUT: "5",
        RABBIT_RABBITMQ_SERVICE_HOST: `${this.rabbitmq.serviceName}.${ns}.svc`,
        RABBIT_RABBITMQ_SERVICE_PORT: String(AMQP_PORT),
        GOSTY_APISERVER_SVC_SERVICE_HOST: `gosty-apiserver.${ns}.svc`,
        GOSTY_APISERVER_SVC_SERVICE_PORT: "80",
        GOSTY_FILESERVER_SERVICE_HOST: `gosty-fileserver.${ns}.svc`,
        GOSTY_FILESERVER_SERVICE_PORT: "80",
      },
    });
    const credentials = {
      MONGODB_USERNAME: { secretName: v.mongodb.secret.name, key: v.mongodb.secret.usernameKey },
      MONGODB_PASSWORD: { secretName: v.mongodb.secret.name, key: v.mongodb.secret.passwordKey },
      RABBITMQ_USERNAME: { secretName: v.rabbitmq.secret.name, key: v.rabbitmq.secret.usernameKey },
      RABBITMQ_PASSWORD: { secretName: v.rabbitmq.secret.name, key: v.rabbitmq.secret.passwordKey },
    };
    const common = {
      namespace: ns,
      partOf: PART_OF,
      envFromConfigMaps: [GOSTY_CONFIG_MAP],
      envFromSecrets: credentials,
    };

    this.apiServer = new Microservice(this, "ApiServer", {
      ...common,
      name: "gosty-apiserver",
      image: v.apiServer.image,
      port: API_SERVER_PORT,
      readinessPath: v.apiServer.health.readinessPath,
      livenessPath: v.apiServer.health.livenessPath,
      resources: v.apiServer.resources,
      replicas: v.apiServer.replicas,
      // Let the ingress stop routing before the server gets SIGTERM.
      shutdown: { terminationGracePeriodSeconds: 30, preStopSleepSeconds: 5 },
    });

    this.fileServer = new Microservice(this, "FileServer", {
      ...common,
      name: "gosty-fileserver",
      image: v.fileServer.image,
      port: FILE_SERVER_PORT,
      readinessPath: v.fileServer.health.readinessPath,
      livenessPath: v.fileServer.health.livenessPath,
      resources: v.fileServer.resources,
      // One pod owns the ReadWriteOnce volume; uploads finish within the grace period.
      replicas: 1,
      shutdown: { terminationGracePeriodSeconds: 120 },
    });
    const storageClaim = new kplus.PersistentVolumeClaim(this, "FileStorage", {
      metadata: { name: "gosty-fileserver-storage", namespace: ns, labels: { "app.kubernetes.io/part-of": PART_OF } },
      accessModes: [kplus.PersistentVolumeAccessMode.READ_WRITE_ONCE],
      storage: Size.mebibytes(memoryMebibytes(v.fileServer.storageSize) ?? 0),
      storageClassName: global.storageClass,
    });
    this.fileServer.deployment.containers[0].mount(
      FILE_SERVER_STORAGE_PATH,
      kplus.Volume.fromPersistentVolumeClaim(this, "FileStorageVolume", storageClaim, { name: "storage" }),
    );
    useRecreateStrategy(this.fileServer.deployment);

    this.worker = new Microservice(this, "Worker", {
      ...common,
      name: "gosty-worker",
      image: v.worker.image,
      // Workers take jobs from RabbitMQ; the port serves only health checks.
      port: v.worker.health.port,
      expose: false,
      readinessPath: v.worker.health.readinessPath,
      livenessPath: v.worker.health.livenessPath,
      resources: v.worker.resources,
      autoscaling: v.worker.autoscaling,
      // A transcoding task in flight is requeued by RabbitMQ when the worker
      // dies without acknowledging it; the grace period lets short ones finish.
      shutdown: { terminationGracePeriodSeconds: 300 },
    });

    useHealthPort(this.apiServer.deployment, v.apiServer.health.port);
    useHealthPort(this.fileServer.deployment, v.fileServer.health.port);
    for (const m of [this.apiServer, this.fileServer, this.worker]) {
      if (v.imagePullSecret) addImagePullSecret(m.deployment, v.imagePullSecret);
    }

    new TlsIngress(this, "Ingress", {
      name: "gosty",
      namespace: ns,
      host: v.apiServer.host,
      service: this.apiServer.service!,
      ingressClassName: global.ingressClass,
      issuer: ingressIssuer(global),
      // Videos are uploaded through the API server.
      annotations: { "nginx.org/client-max-body-size": "2g", "nginx.org/proxy-read-timeout": "600s" },
    });

    if (v.logging.enabled) {
      this.elasticsearch = this.elasticsearchNode(v, global.storageClass, ns);
      this.kibana = this.kibanaServer(v, ns);
    }
    if (v.chaos.enabled) this.chaosExperiments(v, ns);
    this.datastorePolicies(ns);
  }

  /**
   * The brokers and databases hold the application's data and credentials:
   * only Gosty's own pods may connect to them, plus Prometheus to RabbitMQ's
   * metrics port and FluentD to Elasticsearch. Egress stays open (the apps
   * fetch videos from wherever users point them).
   */
  private datastorePolicies(ns: string): void {
    const fromGosty = { podSelector: { matchLabels: { "app.kubernetes.io/part-of": PART_OF } } };
    const fromNamespace = (name: string) => ({ namespaceSelector: { matchLabels: { "kubernetes.io/metadata.name": name } } });
    const tcp = (port: number) => ({ protocol: "TCP", port: k8s.IntOrString.fromNumber(port) });
    const policy = (id: string, store: StatefulService, extra: k8s.NetworkPolicyIngressRule[]) =>
      new k8s.KubeNetworkPolicy(this, id, {
        metadata: { name: `${store.serviceName}-ingress`, namespace: ns, labels: { "app.kubernetes.io/part-of": PART_OF } },
        spec: {
          podSelector: { matchLabels: { ...store.selectorLabels } },
          policyTypes: ["Ingress"],
          ingress: [{ from: [fromGosty] }, ...extra],
        },
      });
    policy("RabbitmqIngress", this.rabbitmq, [{ from: [fromNamespace(PROMETHEUS_NAMESPACE)], ports: [tcp(15692)] }]);
    policy("MongodbIngress", this.mongodb, []);
    if (this.elasticsearch) {
      policy("ElasticsearchIngress", this.elasticsearch, [{ from: [fromNamespace(FLUENTD_NAMESPACE)], ports: [tcp(ELASTICSEARCH_PORT)] }]);
    }
  }

  private rabbitmqCluster(v: GostyValues, storageClass: string, ns: string): StatefulService {
    const r = v.rabbitmq;
    const memoryBytes = (memoryMebibytes(r.resources.memory.limit) ?? 1024) * 1024 * 1024;
    const clustered = r.replicas > 1;
    new kplus.ConfigMap(this, "RabbitmqConfig", {
      metadata: { name: "rabbitmq-config", namespace: ns, labels: { "app.kubernetes.io/part-of": PART_OF } },
      data: {
        "gosty.conf": [
          // RabbitMQ 4.1+ Kubernetes peer discovery: the pod with ordinal 0
          // forms the cluster and every other pod joins it, found through its
          // stable name under the headless Service. No Kubernetes API access.
          "cluster_formation.peer_discovery_backend = k8s",
          "cluster_name = gosty",
          // Size alarms from the container's limit, not the node's memory.
          `total_memory_available_override_value = ${memoryBytes}`,
          "vm_memory_high_watermark.relative = 0.6",
          "disk_free_limit.absolute = 1GB",
          "",
        ].join("\n"),
        enabled_plugins: "[rabbitmq_management,rabbitmq_prometheus,rabbitmq_peer_discovery_k8s].\n",
      },
    });
    return new StatefulService(this, "Rabbitmq", {
      name: "rabbitmq",
      namespace: ns,
      partOf: PART_OF,
      image: r.image,
      replicas: r.replicas,
      // Nodes other than -0 wait for it to join; they must be allowed to start together.
      podManagementPolicy: "Parallel",
      ports: [
        { name: "amqp", port: AMQP_PORT },
        { name: "management", port: 15672 },
        { name: "prometheus", port: 15692 },
        { name: "epmd", port: 4369 },
        { name: "cluster", port: 25672 },
      ],
      volumeClaims: [{ name: "data", mountPath: RABBITMQ_DATA, size: r.storageSize, storageClassName: storageClass }],
      fileMounts: [
        { name: "config", configMapName: "rabbitmq-config", mountPath: "/etc/rabbitmq/conf.d/20-gosty.conf", subPath: "gosty.conf" },
        { name: "plugins", configMapName: "rabbitmq-config", mountPath: "/etc/rabbitmq/enabled_plugins", subPath: "enabled_plugins" },
        { name: "erlang-cookie", secretName: r.secret.name, mountPath: "/run/erlang-cookie" },
      ],
      scratchDirs: { logs: "/var/log/rabbitmq" },
      // The cookie file must belong to the rabbitmq user with mode 0400, which
      // a Secret volume cannot provide: copy it onto the data volume, where
      // every node and CLI tool (probes, preStop) reads it from $HOME.
      initContainers: [
        {
          name: "erlang-cookie",
          command: [
            "sh",
            "-c",
            `rm -f ${RABBITMQ_DATA}/.erlang.cookie && cp /run/erlang-cookie/${r.secret.erlangCookieKey} ${RABBITMQ_DATA}/.erlang.cookie && chmod 0400 ${RABBITMQ_DATA}/.erlang.cookie`,
          ],
        },
      ],
      envFromFields: { POD_NAME: "metadata.name", POD_NAMESPACE: "metadata.namespace" },
      env: [
        { name: "HOME", value: RABBITMQ_DATA },
        { name: "RABBITMQ_USE_LONGNAME", value: "true" },
        { name: "RABBITMQ_NODENAME", value: "rabbit@$(POD_NAME).rabbitmq-headless.$(POD_NAMESPACE)" },
      ],
      envFromSecrets: {
        RABBITMQ_DEFAULT_USER: { secretName: r.secret.name, key: r.secret.usernameKey },
        RABBITMQ_DEFAULT_PASS: { secretName: r.secret.name, key: r.secret.passwordKey },
      },
      readiness: { tcpSocket: { port: k8s.IntOrString.fromString("amqp") }, periodSeconds: 10, timeoutSeconds: 5, failureThreshold: 3 },
      liveness: {
        exec: { command: ["rabbitmq-diagnostics", "-q", "ping"] },
        periodSeconds: 60,
        timeoutSeconds: 20,
        failureThreshold: 3,
      },
      startup: { tcpSocket: { port: k8s.IntOrString.fromString("amqp") }, periodSeconds: 10, timeoutSeconds: 5, failureThreshold: 60 },
      resources: r.resources,
      runAsUser: 999,
      // A clustered node hands its queue leaders over before it stops; a
      // lone node just flushes to disk.
      terminationGracePeriodSeconds: clustered ? 600 : 60,
      preStop: clustered
        ? ["sh", "-c", "rabbitmq-upgrade await_online_quorum_plus_one -t 540 && rabbitmq-upgrade drain -t 30 || true"]
        : undefined,
      podAnnotations: { "prometheus.io/scrape": "true", "prometheus.io/port": "15692", "prometheus.io/path": "/metrics" },
      imagePullSecret: v.imagePullSecret,
    });
  }

  private mongoDb(v: GostyValues, storageClass: string, ns: string): StatefulService {
    const m = v.mongodb;
    // WiredTiger's cache defaults to half of the node's RAM; give it half of
    // the container's limit minus 256 MiB of headroom for connections.
    const limitMib = memoryMebibytes(m.resources.memory.limit) ?? 1024;
    const cacheGb = Math.max(0.25, Math.floor(((limitMib - 256) / 2 / 1024) * 100) / 100);
    return new StatefulService(this, "Mongodb", {
      name: "mongodb",
      namespace: ns,
      partOf: PART_OF,
      image: m.image,
      // A standalone server: scaling needs a replica set (keyfile, rs.initiate), which Gosty does not use.
      replicas: 1,
      args: ["mongod", "--bind_ip_all", "--wiredTigerCacheSizeGB", String(cacheGb)],
      ports: [{ name: "mongodb", port: MONGODB_PORT }],
      volumeClaims: [{ name: "data", mountPath: "/data/db", size: m.storageSize, storageClassName: storageClass }],
      scratchDirs: { configdb: "/data/configdb" },
      // The image's entrypoint creates this root user on the first start (empty data directory).
      envFromSecrets: {
        MONGO_INITDB_ROOT_USERNAME: { secretName: m.secret.name, key: m.secret.usernameKey },
        MONGO_INITDB_ROOT_PASSWORD: { secretName: m.secret.name, key: m.secret.passwordKey },
      },
      readiness: { tcpSocket: { port: k8s.IntOrString.fromString("mongodb") }, periodSeconds: 10, timeoutSeconds: 5, failureThreshold: 3 },
      // `ping` needs no authentication; a server that accepts connections but
      // no longer answers commands is restarted.
      liveness: {
        exec: { command: ["mongosh", "--quiet", "--norc", "--eval", "db.adminCommand('ping').ok"] },
        periodSeconds: 30,
        timeoutSeconds: 10,
        failureThreshold: 6,
      },
      startup: { tcpSocket: { port: k8s.IntOrString.fromString("mongodb") }, periodSeconds: 10, timeoutSeconds: 5, failureThreshold: 60 },
      resources: m.resources,
      runAsUser: 999,
      // mongod checkpoints and closes its journal on SIGTERM.
      terminationGracePeriodSeconds: 60,
      imagePullSecret: v.imagePullSecret,
    });
  }

  private elasticsearchNode(v: GostyValues, storageClass: string, ns: string): StatefulService {
    const l = v.logging;
    const heapMib = Math.floor((memoryMebibytes(l.elasticsearchResources.memory.limit) ?? 2048) / 2);
    const es = new StatefulService(this, "Elasticsearch", {
      name: "elasticsearch",
      namespace: ns,
      partOf: PART_OF,
      image: l.elasticsearchImage,
      ports: [{ name: "http", port: ELASTICSEARCH_PORT }],
      volumeClaims: [{ name: "data", mountPath: "/usr/share/elasticsearch/data", size: l.storageSize, storageClassName: storageClass }],
      env: [
        // ES_SETTING_<NAME> with '_' for '.' sets elasticsearch.yml keys.
        { name: "ES_SETTING_DISCOVERY_TYPE", value: "single-node" },
        { name: "ES_SETTING_CLUSTER_NAME", value: "gosty-logs" },
        // No mmap: avoids raising vm.max_map_count on the node (a privileged init container).
        { name: "ES_SETTING_NODE_STORE_ALLOW__MMAP", value: "false" },
        { name: "ES_SETTING_XPACK_SECURITY_ENABLED", value: "true" },
        // Traffic stays inside the namespace (and in Linkerd's mTLS when enabled).
        { name: "ES_SETTING_XPACK_SECURITY_HTTP_SSL_ENABLED", value: "false" },
        { name: "ES_SETTING_XPACK_SECURITY_TRANSPORT_SSL_ENABLED", value: "false" },
        { name: "ES_JAVA_OPTS", value: `-Xms${heapMib}m -Xmx${heapMib}m` },
      ],
      envFromSecrets: { ELASTIC_PASSWORD: { secretName: l.secret.name, key: l.secret.elasticPasswordKey } },
      readiness: {
        exec: {
          command: ["sh", "-c", 'curl -fsS -u "elastic:${ELASTIC_PASSWORD}" "http://127.0.0.1:9200/_cluster/health?local=true" >/dev/null'],
        },
        periodSeconds: 10,
        timeoutSeconds: 5,
        failureThreshold: 3,
      },
      liveness: { tcpSocket: { port: k8s.IntOrString.fromString("http") }, periodSeconds: 20, timeoutSeconds: 5, failureThreshold: 6 },
      startup: { tcpSocket: { port: k8s.IntOrString.fromString("http") }, periodSeconds: 10, timeoutSeconds: 5, failureThreshold: 60 },
      resources: l.elasticsearchResources,
      runAsUser: 1000,
      fsGroup: 1000,
      // The root filesystem stays read-only: the entrypoint writes the
      // keystore into the config directory, so that directory is a scratch
      // volume seeded from the image's own config files; GC logs go to logs/.
      scratchDirs: { config: ES_CONFIG, logs: "/usr/share/elasticsearch/logs" },
      initContainers: [
        {
          name: "seed-config",
          command: ["sh", "-c", `cp -a ${ES_CONFIG}/. /seed/`],
          mounts: [{ volume: "config", mountPath: "/seed" }],
        },
      ],
      terminationGracePeriodSeconds: 120,
      imagePullSecret: v.imagePullSecret,
    });

    // kibana_system's password can only be set through the API: a Job sets it
    // from the Secret (idempotent, retried until Elasticsearch answers).
    new k8s.KubeJob(this, "KibanaPasswordJob", {
      metadata: { name: "kibana-system-password", namespace: ns, labels: { "app.kubernetes.io/part-of": PART_OF } },
      spec: {
        backoffLimit: 20,
        ttlSecondsAfterFinished: 3600,
        template: {
          metadata: { labels: { "app.kubernetes.io/name": "kibana-system-password", "app.kubernetes.io/part-of": PART_OF } },
          spec: {
            restartPolicy: "OnFailure",
            automountServiceAccountToken: false,
            // curl needs no home or files of the image's user.
            securityContext: { runAsNonRoot: true, runAsUser: 10001, runAsGroup: 10001, seccompProfile: { type: "RuntimeDefault" } },
            imagePullSecrets: v.imagePullSecret ? [{ name: v.imagePullSecret }] : undefined,
            containers: [
              {
                name: "set-password",
                image: l.elasticsearchImage,
                imagePullPolicy: "IfNotPresent",
                command: [
                  "sh",
                  "-c",
                  'curl -fsS -u "elastic:${ELASTIC_PASSWORD}" -H "Content-Type: application/json" ' +
                    `-X POST "http://elasticsearch:${ELASTICSEARCH_PORT}/_security/user/kibana_system/_password" ` +
                    '-d "{\\"password\\":\\"${KIBANA_PASSWORD}\\"}"',
                ],
                env: [
                  { name: "ELASTIC_PASSWORD", valueFrom: { secretKeyRef: { name: l.secret.name, key: l.secret.elasticPasswordKey } } },
                  { name: "KIBANA_PASSWORD", valueFrom: { secretKeyRef: { name: l.secret.name, key: l.secret.kibanaPasswordKey } } },
                ],
                resources: {
                  requests: { cpu: k8s.Quantity.fromString("50m"), memory: k8s.Quantity.fromString("64Mi") },
                  limits: { cpu: k8s.Quantity.fromString("200m"), memory: k8s.Quantity.fromString("128Mi") },
                },
                securityContext: {
                  runAsNonRoot: true,
                  runAsUser: 10001,
                  runAsGroup: 10001,
                  readOnlyRootFilesystem: true,
                  allowPrivilegeEscalation: false,
                  privileged: false,
                  capabilities: { drop: ["ALL"] },
                },
              },
            ],
          },
        },
      },
    });
    return es;
  }

  private kibanaServer(v: GostyValues, ns: string): Microservice {
    const l = v.logging;
    const kibana = new Microservice(this, "Kibana", {
      name: "kibana",
      namespace: ns,
      partOf: PART_OF,
      image: l.kibanaImage,
      port: KIBANA_PORT,
      servicePort: KIBANA_PORT,
      // /api/status answers without credentials only with STATUS_ALLOWANONYMOUS.
      readinessPath: "/api/status",
      livenessPath: "/api/status",
      startupSeconds: 300,
      resources: l.kibanaResources,
      env: {
        ELASTICSEARCH_HOSTS: `http://elasticsearch:${ELASTICSEARCH_PORT}`,
        ELASTICSEARCH_USERNAME: "kibana_system",
        STATUS_ALLOWANONYMOUS: "true",
      },
      envFromSecrets: { ELASTICSEARCH_PASSWORD: { secretName: l.secret.name, key: l.secret.kibanaPasswordKey } },
      // The Kibana image's user.
      security: { runAsUser: 1000, runAsGroup: 1000 },
    });
    kibana.deployment.containers[0].mount("/usr/share/kibana/data", kplus.Volume.fromEmptyDir(this, "KibanaData", "data"));
    overrideProbes(kibana.deployment, "kibana", { liveness: tcpLiveness(KIBANA_PORT) });
    if (v.imagePullSecret) addImagePullSecret(kibana.deployment, v.imagePullSecret);
    return kibana;
  }

  /** Chaos Mesh experiments, typed from the pinned CRD schemas (see imports/generate.sh). */
  private chaosExperiments(v: GostyValues, ns: string): void {
    const labels = { "app.kubernetes.io/part-of": PART_OF };
    new PodChaos(this, "WorkerPodKill", {
      metadata: { name: "gosty-worker-pod-kill", namespace: ns, labels },
      spec: {
        action: PodChaosSpecAction.POD_HYPHEN_KILL,
        mode: PodChaosSpecMode.FIXED_HYPHEN_PERCENT,
        value: String(v.chaos.podKillPercent),
        selector: { namespaces: [ns], labelSelectors: { ...this.worker.selectorLabels } },
      },
    });
    new NetworkChaos(this, "ApiServerRabbitmqDelay", {
      metadata: { name: "gosty-apiserver-rabbitmq-delay", namespace: ns, labels },
      spec: {
        action: NetworkChaosSpecAction.DELAY,
        mode: NetworkChaosSpecMode.ALL,
        selector: { namespaces: [ns], labelSelectors: { ...this.apiServer.selectorLabels } },
        direction: NetworkChaosSpecDirection.TO,
        target: {
          mode: NetworkChaosSpecTargetMode.ALL,
          selector: { namespaces: [ns], labelSelectors: { ...this.rabbitmq.selectorLabels } },
        },
        delay: { latency: v.chaos.networkDelay, jitter: "0ms", correlation: "0" },
        duration: v.chaos.networkDelayDuration,
      },
    });
  }
}
