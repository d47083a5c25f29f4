import * as fs from "node:fs";
import * as path from "node:path";
import { Chart, Cron, Duration, Size } from "cdk8s";
import * as kplus from "cdk8s-plus-28";
import { IntOrString, KubeNetworkPolicy } from "cdk8s-plus-28/lib/imports/k8s";
import { Construct } from "constructs";
import { AppNamespace } from "../../constructs/app-namespace";
import { ConfigFiles } from "../../constructs/config-files";
import { HeadlessService } from "../../constructs/headless-service";
import { Microservice } from "../../constructs/microservice";
import { NodePortService } from "../../constructs/node-port-service";
import { overrideProbes } from "../../constructs/probe-overrides";
import { spreadOverNodes } from "../../constructs/spread-over-nodes";
import { memoryMebibytes, toContainerResources } from "../../constructs/resources";
import type { PlatformValues } from "../values";
import { renderHaproxyConfig } from "./haproxy-config";
import { PUBLISHER_ACL, renderMosquittoConfig } from "./mosquitto-config";
import { MODEL_DIR, PERSON_VEHICLE_BIKE_MODEL, PIPELINE_SERVER_HOME, renderPipelineServerConfig } from "./pipeline-server-config";
import { DLSTREAMER_NAMESPACE } from "./values";

/** Props of {@link DlstreamerChart}. Plain data only. */
export interface DlstreamerChartProps {
  readonly values: PlatformValues;
  /**
   * Kubernetes cluster DNS domain (kubelet `clusterDomain`).
   * @default "cluster.local"
   */
  readonly clusterDomain?: string;
}

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

/** UID/GID of the user the pipeline server image is built for (its upstream compose file mounts volumes for 1999). */
const PIPELINE_SERVER_UID = 1999;
/** UID/GID of the `mosquitto` user of the eclipse-mosquitto image. */
const MOSQUITTO_UID = 1883;

/**
 * The Intel DL Streamer Pipeline Server behind HAProxy, with a Mosquitto MQTT
 * broker receiving the inference results.
 *
 * Unlike the seed sample, HAProxy never needs a rebuild or redeploy when
 * pipeline server pods come and go: it discovers them at run time through the
 * headless Service's DNS SRV records (see haproxy-config.ts).
 */
export class DlstreamerChart extends Chart {
  readonly pipelineServer: Microservice;
  readonly pipelineServerDiscovery: HeadlessService;
  readonly haproxy: Microservice;
  readonly haproxyNodePort: NodePortService;
  readonly mosquitto: kplus.Deployment;
  readonly mosquittoNodePort: NodePortService;
  readonly statusJob: kplus.CronJob;

  constructor(scope: Construct, id: string, props: DlstreamerChartProps) {
    super(scope, id, { disableResourceNameHashes: true });
    const ns = DLSTREAMER_NAMESPACE;
    const v = props.values.dlstreamer;
    const clusterDomain = props.clusterDomain ?? "cluster.local";
    const partOf = "dlstreamer";
    const labels = { "app.kubernetes.io/part-of": partOf };
    const fqdn = (service: string) => `${service}.${ns}.svc.${clusterDomain}`;

    new AppNamespace(this, "Namespace", { name: ns, labels });

    // --- Pipeline servers -------------------------------------------------
    const p = v.pipelineServer;
    this.pipelineServer = new Microservice(this, "PipelineServer", {
      name: DLSTREAMER_NAMES.pipelineServer,
      namespace: ns,
      partOf,
      image: p.image,
      port: PIPELINE_SERVER_PORT,
      // The Service HAProxy and the status Job use is the headless one below.
      expose: false,
      // GET /pipelines lists the loaded pipeline definitions: cheap, and only
      // answers once the REST server and the pipeline manager are up.
      readinessPath: "/pipelines",
      livenessPath: "/pipelines",
      // GStreamer plugin scan and OpenVINO initialization on first start.
      startupSeconds: 180,
      resources: p.resources,
      ...(p.autoscaling
        ? { autoscaling: { minReplicas: p.autoscaling.minReplicas, maxReplicas: p.autoscaling.maxReplicas, cpuUtilization: p.autoscaling.cpuUtilization } }
        : { replicas: p.replicas }),
      env: {
        REST_SERVER_PORT: String(PIPELINE_SERVER_PORT),
        DETECTION_DEVICE: "CPU",
        CLASSIFICATION_DEVICE: "CPU",
        ENABLE_RTSP: "false",
        ENABLE_WEBRTC: "false",
        HTTPS: "false",
        LOG_LEVEL: "INFO",
        // Default broker for pipelines that publish through the server's MQTT
        // publisher; request destinations name the broker themselves.
        MQTT_HOST: fqdn(DLSTREAMER_NAMES.mosquittoPublisher),
        MQTT_PORT: String(MOSQUITTO_PUBLISHER_PORT),
      },
      // The image is built for this non-root user; its upstream compose file
      // runs it with a read-only root filesystem, which is kept here: the
      // paths it writes are the emptyDir volumes mounted below. The values
      // flag pipelineServer.writableRootFilesystem is the explicit opt-out.
      security: { runAsUser: PIPELINE_SERVER_UID, runAsGroup: PIPELINE_SERVER_UID, writableRootFilesystem: p.writableRootFilesystem },
      // Running pipelines stop with the pod; give them time to flush their last results.
      shutdown: { terminationGracePeriodSeconds: 30, preStopSleepSeconds: 5 },
    });
    const psDeployment = this.pipelineServer.deployment;
    const psContainer = psDeployment.containers[0];
    // Inference can saturate the CPU limit and slow the REST thread down; a
    // restart kills every running pipeline, so liveness is patient (2 min).
    overrideProbes(psDeployment, DLSTREAMER_NAMES.pipelineServer, {
      liveness: {
        httpGet: { path: "/pipelines", port: PIPELINE_SERVER_PORT },
        initialDelaySeconds: 0,
        periodSeconds: 20,
        timeoutSeconds: 10,
        successThreshold: 1,
        failureThreshold: 6,
      },
    });
    const pipelineConfig = new ConfigFiles(this, "PipelineServerConfig", {
      name: "pipeline-server-config",
      namespace: ns,
      labels,
      files: { "config.json": renderPipelineServerConfig(), "fetch-model.sh": readScript("fetch-model.sh") },
    });
    // A single file over the image's default config.json (the rest of the home directory stays).
    pipelineConfig.mountFile(psContainer, "config.json", `${PIPELINE_SERVER_HOME}/config.json`);
    pipelineConfig.rolloutOnChange(psDeployment);
    const models = kplus.Volume.fromEmptyDir(this, "Models", "models", { sizeLimit: Size.gibibytes(2) });
    psContainer.mount(MODEL_DIR, models, { readOnly: true });
    psContainer.mount("/var/cache/pipeline_root", kplus.Volume.fromEmptyDir(this, "PipelineRoot", "pipeline-root"));
    psContainer.mount(`${PIPELINE_SERVER_HOME}/.cache`, kplus.Volume.fromEmptyDir(this, "HomeCache", "home-cache"));

    const fetcher = psDeployment.addInitContainer({
      name: "fetch-model",
      image: v.curlImage,
      imagePullPolicy: kplus.ImagePullPolicy.IF_NOT_PRESENT,
      command: ["/bin/sh", "/scripts/fetch-model.sh"],
      envVariables: {
        MODEL_BASE_URL: kplus.EnvValue.fromValue(PERSON_VEHICLE_BIKE_MODEL.baseUrl),
        MODEL_NAME: kplus.EnvValue.fromValue(PERSON_VEHICLE_BIKE_MODEL.name),
        MODEL_PRECISION: kplus.EnvValue.fromValue(PERSON_VEHICLE_BIKE_MODEL.precision),
        MODEL_DIR: kplus.EnvValue.fromValue(MODEL_DIR),
      },
      resources: toContainerResources({ cpu: { request: "50m", limit: "500m" }, memory: { request: "32Mi", limit: "128Mi" } }),
      securityContext: restrictedContainer(PIPELINE_SERVER_UID),
    });
    fetcher.mount(MODEL_DIR, models);
    pipelineConfig.mount(fetcher, "/scripts");

    // One pipeline server per node: the default replica count is the worker
    // count, and the spread constraint keeps the pods on distinct nodes.
    spreadOverNodes(psDeployment, this.pipelineServer.selectorLabels, p.spread);

    this.pipelineServerDiscovery = new HeadlessService(this, "PipelineServerDiscovery", {
      name: DLSTREAMER_NAMES.pipelineServer,
      namespace: ns,
      labels,
      selector: this.pipelineServer.selectorLabels,
      ports: [{ name: "http", port: PIPELINE_SERVER_PORT }],
    });

    // --- HAProxy ----------------------------------------------------------
    const h = v.haproxy;
    const haproxyConfig = new ConfigFiles(this, "HaproxyConfig", {
      name: "haproxy-config",
      namespace: ns,
      labels,
      files: {
        "haproxy.cfg": renderHaproxyConfig({
          serviceFqdn: fqdn(DLSTREAMER_NAMES.pipelineServer),
          servicePortName: "http",
          maxServers: h.maxServers,
          listenPort: HAPROXY_PORT,
          statsPort: HAPROXY_STATS_PORT,
          healthCheckPath: "/pipelines",
          timeouts: { server: h.serverTimeoutSeconds, client: h.serverTimeoutSeconds },
        }),
      },
    });
    this.haproxy = new Microservice(this, "Haproxy", {
      name: DLSTREAMER_NAMES.haproxy,
      namespace: ns,
      partOf,
      image: h.image,
      // The image's entrypoint prepends `haproxy -W -db` to arguments starting with "-".
      args: ["-f", "/usr/local/etc/haproxy-rendered/haproxy.cfg"],
      port: HAPROXY_PORT,
      expose: false,
      replicas: h.replicas,
      resources: h.resources,
      metrics: { port: HAPROXY_STATS_PORT, path: "/metrics" },
      // SIGTERM stops HAProxy at once: let the Service drop the pod first.
      shutdown: { terminationGracePeriodSeconds: 30, preStopSleepSeconds: 5 },
    });
    const haproxyContainer = this.haproxy.deployment.containers[0];
    haproxyContainer.addPort({ number: HAPROXY_STATS_PORT, name: "stats" });
    haproxyConfig.mount(haproxyContainer, "/usr/local/etc/haproxy-rendered");
    haproxyConfig.rolloutOnChange(this.haproxy.deployment);
    // Two HAProxy pods on one node would fail together.
    spreadOverNodes(this.haproxy.deployment, this.haproxy.selectorLabels, "ScheduleAnyway");
    // The pipeline port has no health endpoint of its own; /healthz on the
    // stats port answers as long as HAProxy runs, whatever the pipeline
    // servers do (their health is HAProxy's business, not a reason to restart it).
    const haproxyHealth = { httpGet: { path: "/healthz", port: HAPROXY_STATS_PORT }, timeoutSeconds: 2, successThreshold: 1 };
    overrideProbes(this.haproxy.deployment, DLSTREAMER_NAMES.haproxy, {
      readiness: { ...haproxyHealth, initialDelaySeconds: 0, periodSeconds: 5, failureThreshold: 2 },
      liveness: { ...haproxyHealth, initialDelaySeconds: 0, periodSeconds: 10, failureThreshold: 3 },
      startup: { ...haproxyHealth, initialDelaySeconds: 0, periodSeconds: 2, failureThreshold: 15 },
    });
    this.haproxyNodePort = new NodePortService(this, "HaproxyNodePort", {
      name: DLSTREAMER_NAMES.haproxy,
      namespace: ns,
      labels,
      selector: this.haproxy.selectorLabels,
      ports: [{ name: "http", port: HAPROXY_PORT, targetPort: HAPROXY_PORT, nodePort: h.nodePort }],
    });

    // --- Mosquitto --------------------------------------------------------
    const m = v.mosquitto;
    const mosquittoLabels = { "app.kubernetes.io/name": DLSTREAMER_NAMES.mosquitto };
    const mosquittoConfig = new ConfigFiles(this, "MosquittoConfig", {
      name: "mosquitto-config",
      namespace: ns,
      labels,
      // Mosquitto 2.0.16+ warns about world-readable ACL and password files.
      fileMode: 0o440,
      files: {
        "mosquitto.conf": renderMosquittoConfig({
          port: MOSQUITTO_PORT,
          allowAnonymous: m.allowAnonymous,
          passwordFile: m.allowAnonymous ? undefined : "/mosquitto/secret/passwd",
          publisherListener: { port: MOSQUITTO_PUBLISHER_PORT, aclFile: "/mosquitto/config/publisher.acl" },
          persistenceLocation: "/mosquitto/data",
        }),
        "publisher.acl": PUBLISHER_ACL,
      },
    });
    const mosquittoAccount = new kplus.ServiceAccount(this, "MosquittoServiceAccount", {
      metadata: { name: DLSTREAMER_NAMES.mosquitto, namespace: ns, labels: { ...mosquittoLabels, ...labels } },
      automountToken: false,
    });
    this.mosquitto = new kplus.Deployment(this, "Mosquitto", {
      metadata: { name: DLSTREAMER_NAMES.mosquitto, namespace: ns, labels: { ...mosquittoLabels, ...labels } },
      select: false,
      podMetadata: { labels: { ...mosquittoLabels, ...labels } },
      // One broker: two would split the subscribers. Recreate, so the old pod
      // releases the persistence volume before the new one mounts it.
      replicas: 1,
      strategy: kplus.DeploymentStrategy.recreate(),
      serviceAccount: mosquittoAccount,
      automountServiceAccountToken: false,
      terminationGracePeriod: Duration.seconds(30),
      securityContext: { ensureNonRoot: true, user: MOSQUITTO_UID, group: MOSQUITTO_UID, fsGroup: MOSQUITTO_UID },
    });
    this.mosquitto.select(kplus.LabelSelector.of({ labels: mosquittoLabels }));
    const tcp = (port: number) => ({ port, periodSeconds: Duration.seconds(10), timeoutSeconds: Duration.seconds(3) });
    const broker = this.mosquitto.addContainer({
      name: DLSTREAMER_NAMES.mosquitto,
      image: m.image,
      imagePullPolicy: kplus.ImagePullPolicy.IF_NOT_PRESENT,
      ports: [
        { number: MOSQUITTO_PORT, name: "mqtt" },
        { number: MOSQUITTO_PUBLISHER_PORT, name: "mqtt-publisher" },
      ],
      readiness: kplus.Probe.fromTcpSocket({ ...tcp(MOSQUITTO_PORT), failureThreshold: 3 }),
      liveness: kplus.Probe.fromTcpSocket({ ...tcp(MOSQUITTO_PORT), failureThreshold: 3 }),
      resources: toContainerResources(m.resources),
      securityContext: restrictedContainer(MOSQUITTO_UID),
    });
    mosquittoConfig.mount(broker, "/mosquitto/config");
    mosquittoConfig.rolloutOnChange(this.mosquitto);
    if (!m.allowAnonymous) {
      const secret = kplus.Secret.fromSecretName(this, "MosquittoPasswords", m.passwordSecret.name);
      // Group-readable through fsGroup; never world-readable.
      broker.mount(
        "/mosquitto/secret",
        kplus.Volume.fromSecret(this, "MosquittoPasswordFile", secret, {
          name: "password-file",
          items: { [m.passwordSecret.key]: { path: "passwd" } },
          defaultMode: 0o440,
        }),
        { readOnly: true },
      );
    }
    let data: kplus.Volume;
    if (m.persistentVolumeSize !== undefined) {
      const claim = new kplus.PersistentVolumeClaim(this, "MosquittoData", {
        metadata: { name: "mosquitto-data", namespace: ns, labels },
        storageClassName: props.values.global.storageClass,
        accessModes: [kplus.PersistentVolumeAccessMode.READ_WRITE_ONCE],
        storage: Size.mebibytes(memoryMebibytes(m.persistentVolumeSize) ?? 1024),
      });
      data = kplus.Volume.fromPersistentVolumeClaim(this, "MosquittoDataVolume", claim, { name: "data" });
    } else {
      data = kplus.Volume.fromEmptyDir(this, "MosquittoDataVolume", "data", { sizeLimit: Size.gibibytes(1) });
    }
    broker.mount("/mosquitto/data", data);

    this.mosquittoNodePort = new NodePortService(this, "MosquittoNodePort", {
      name: DLSTREAMER_NAMES.mosquitto,
      namespace: ns,
      labels,
      selector: mosquittoLabels,
      ports: [{ name: "mqtt", port: MOSQUITTO_PORT, targetPort: MOSQUITTO_PORT, nodePort: m.nodePort }],
    });
    const publisherService = new kplus.Service(this, "MosquittoPublisher", {
      metadata: { name: DLSTREAMER_NAMES.mosquittoPublisher, namespace: ns, labels },
      type: kplus.ServiceType.CLUSTER_IP,
      ports: [{ name: "mqtt", port: MOSQUITTO_PUBLISHER_PORT, targetPort: MOSQUITTO_PUBLISHER_PORT }],
    });
    for (const [key, value] of Object.entries(mosquittoLabels)) publisherService.selectLabel(key, value);

    // The publisher listener is anonymous: only pipeline server pods may reach it.
    new KubeNetworkPolicy(this, "MosquittoIngress", {
      metadata: { name: DLSTREAMER_NAMES.mosquitto, namespace: ns, labels },
      spec: {
        podSelector: { matchLabels: { ...mosquittoLabels } },
        policyTypes: ["Ingress"],
        ingress: [
          { ports: [{ protocol: "TCP", port: IntOrString.fromNumber(MOSQUITTO_PORT) }] },
          {
            from: [{ podSelector: { matchLabels: { ...this.pipelineServer.selectorLabels } } }],
            ports: [{ protocol: "TCP", port: IntOrString.fromNumber(MOSQUITTO_PUBLISHER_PORT) }],
          },
        ],
      },
    });

    // --- Pipeline status across every pod ----------------------------------
    const statusLabels = { "app.kubernetes.io/name": DLSTREAMER_NAMES.pipelineStatus };
    const statusScript = new ConfigFiles(this, "PipelineStatusScript", {
      name: "pipeline-status-script",
      namespace: ns,
      labels,
      files: { "pipeline-status.sh": readScript("pipeline-status.sh") },
    });
    // Never scheduled (suspended): a template for on-demand runs,
    // `kubectl create job --from=cronjob/pipeline-status <name>`.
    this.statusJob = new kplus.CronJob(this, "PipelineStatus", {
      metadata: { name: DLSTREAMER_NAMES.pipelineStatus, namespace: ns, labels },
      schedule: Cron.daily(),
      suspend: true,
      backoffLimit: 0,
      activeDeadline: Duration.minutes(2),
      ttlAfterFinished: Duration.hours(1),
      restartPolicy: kplus.RestartPolicy.NEVER,
      automountServiceAccountToken: false,
      securityContext: { ensureNonRoot: true, user: 10001, group: 10001 },
      podMetadata: { labels: { ...statusLabels, ...labels } },
    });
    this.statusJob.addContainer({
      name: DLSTREAMER_NAMES.pipelineStatus,
      image: v.curlImage,
      imagePullPolicy: kplus.ImagePullPolicy.IF_NOT_PRESENT,
      command: ["/bin/sh", "/scripts/pipeline-status.sh"],
      envVariables: {
        PIPELINE_SERVICE: kplus.EnvValue.fromValue(fqdn(DLSTREAMER_NAMES.pipelineServer)),
        PIPELINE_PORT: kplus.EnvValue.fromValue(String(PIPELINE_SERVER_PORT)),
      },
      resources: toContainerResources({ cpu: { request: "10m", limit: "200m" }, memory: { request: "16Mi", limit: "64Mi" } }),
      securityContext: restrictedContainer(10001),
    });
    statusScript.mount(this.statusJob.containers[0], "/scripts");

    // Pipelines are started through HAProxy; only it and the status Job may
    // call the pipeline servers' REST API (kubelet probes are always allowed).
    new KubeNetworkPolicy(this, "PipelineServerIngress", {
      metadata: { name: DLSTREAMER_NAMES.pipelineServer, namespace: ns, labels },
      spec: {
        podSelector: { matchLabels: { ...this.pipelineServer.selectorLabels } },
        policyTypes: ["Ingress"],
        ingress: [
          {
            from: [
              { podSelector: { matchLabels: { ...this.haproxy.selectorLabels } } },
              { podSelector: { matchLabels: { ...statusLabels } } },
            ],
            ports: [{ protocol: "TCP", port: IntOrString.fromNumber(PIPELINE_SERVER_PORT) }],
          },
        ],
      },
    });
  }
}

function readScript(name: string): string {
  return fs.readFileSync(path.join(__dirname, name), "utf8");
}

/** The restricted Pod Security Standard for a container running as `uid`. */
function restrictedContainer(uid: number): kplus.ContainerSecurityContextProps {
  return {
    ensureNonRoot: true,
    user: uid,
    group: uid,
    readOnlyRootFilesystem: true,
    allowPrivilegeEscalation: false,
    privileged: false,
    capabilities: { drop: [kplus.Capability.ALL] },
    seccompProfile: { type: kplus.SeccompProfileType.RUNTIME_DEFAULT },
  };
}
