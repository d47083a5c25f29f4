import { Duration, Size } from "cdk8s";
import * as kplus from "cdk8s-plus-28";
import { Construct } from "constructs";
import { ConfigFiles } from "../../constructs/config-files";
import { HeadlessService } from "../../constructs/headless-service";
import { Microservice } from "../../constructs/microservice";
import { toContainerResources } from "../../constructs/resources";
import { readScript, restrictedContainer } from "./container";
import { PIPELINE_SERVER_CONTRACT } from "./image-contracts";
import { DLSTREAMER_NAMES, PIPELINE_SERVER_PORT } from "./names";
import { MODEL_DIR, PERSON_VEHICLE_BIKE_MODEL, PIPELINE_SERVER_HOME, renderPipelineServerConfig } from "./pipeline-server-config";

/** The process's HOME is its user's own home directory, not the working directory (its image contract). */
const PIPELINE_SERVER_CACHE = "/home/intelmicroserviceuser/.cache";
import type { PipelineServerValues } from "./values";

/** UID/GID of the user the pipeline server image is built for (its image contract). */
const PIPELINE_SERVER_UID = PIPELINE_SERVER_CONTRACT.user.uid ?? 1999;

/** Props of {@link PipelineServers}. */
export interface PipelineServersProps {
  /** Namespace of every object. */
  readonly namespace: string;
  /** Label `app.kubernetes.io/part-of` of every object. */
  readonly partOf: string;
  /** The `dlstreamer.pipelineServer` values: image, replicas or autoscaling, spread, resources. */
  readonly values: PipelineServerValues;
  /** Image of the init container that fetches the detection model (curl and a POSIX sh). */
  readonly modelFetcherImage: string;
  /** Broker of pipelines that publish through the server's MQTT publisher (request destinations may name another). */
  readonly mqtt: { readonly host: string; readonly port: number };
}

/**
 * The Intel DL Streamer Pipeline Servers: a Deployment of one pod per node
 * (or an HPA), the sample pipeline configuration, an init container that
 * fetches its model, and the headless Service through which HAProxy and the
 * status Job find every ready pod.
 */
export class PipelineServers extends Construct {
  readonly microservice: Microservice;
  readonly discovery: HeadlessService;
  /** Labels that select the pipeline server pods. */
  readonly selectorLabels: Readonly<Record<string, string>>;

  constructor(scope: Construct, id: string, props: PipelineServersProps) {
    super(scope, id);
    const p = props.values;
    const labels = { "app.kubernetes.io/part-of": props.partOf };
    // "Default" keeps the construct address, and so the pods' cdk8s.io/metadata.addr label, of a Microservice created in the chart.
    this.microservice = new Microservice(this, "Default", {
      name: DLSTREAMER_NAMES.pipelineServer,
      namespace: props.namespace,
      partOf: props.partOf,
      image: p.image,
      port: PIPELINE_SERVER_PORT,
      // The Service HAProxy and the status Job use is the headless one below.
      expose: false,
      // HAProxy and the status Job, which the chart creates after this and admits then.
      callers: [],
      // GET /pipelines lists the loaded pipeline definitions: cheap, and only
      // answers once the REST server and the pipeline manager are up.
      readinessPath: "/pipelines",
      livenessPath: "/pipelines",
      probes: {
        // Inference can saturate the CPU limit and slow the REST thread down; a
        // restart kills every running pipeline, so liveness is patient (2 min).
        liveness: kplus.Probe.fromHttpGet("/pipelines", {
          port: PIPELINE_SERVER_PORT,
          periodSeconds: Duration.seconds(20),
          timeoutSeconds: Duration.seconds(10),
          failureThreshold: 6,
        }),
      },
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
        MQTT_HOST: props.mqtt.host,
        MQTT_PORT: String(props.mqtt.port),
      },
      // The image is built for this non-root user; its upstream compose file
      // runs it with a read-only root filesystem, which is kept here: the
      // paths it writes are the emptyDir volumes mounted below. The values
      // flag pipelineServer.writableRootFilesystem is the explicit opt-out.
      security: { runAsUser: PIPELINE_SERVER_UID, runAsGroup: PIPELINE_SERVER_UID, writableRootFilesystem: p.writableRootFilesystem },
      // Running pipelines stop with the pod; give them time to flush their last results.
      shutdown: { terminationGracePeriodSeconds: 30, preStopSleepSeconds: 5 },
      // One pipeline server per node: the default replica count is the worker
      // count, and the spread constraint keeps the pods on distinct nodes.
      spreadOverNodes: p.spread,
    });
    this.selectorLabels = this.microservice.selectorLabels;
    this.addConfigAndModel(props, labels);

    this.discovery = new HeadlessService(this, "Discovery", {
      name: DLSTREAMER_NAMES.pipelineServer,
      namespace: props.namespace,
      labels,
      selector: this.selectorLabels,
      ports: [{ name: "http", port: PIPELINE_SERVER_PORT }],
    });
  }

  /** The pipeline configuration, the scratch volumes and the init container that fetches the model. */
  private addConfigAndModel(props: PipelineServersProps, labels: Record<string, string>): void {
    const deployment = this.microservice.deployment;
    const container = deployment.containers[0];
    const config = new ConfigFiles(this, "Config", {
      name: "pipeline-server-config",
      namespace: props.namespace,
      labels,
      files: { "config.json": renderPipelineServerConfig(), "fetch-model.sh": readScript("fetch-model.sh") },
    });
    // A single file over the image's default config.json (the rest of the home directory stays).
    config.mountFile(container, "config.json", `${PIPELINE_SERVER_HOME}/config.json`);
    config.rolloutOnChange(deployment);
    const models = kplus.Volume.fromEmptyDir(this, "Models", "models", { sizeLimit: Size.gibibytes(2) });
    container.mount(MODEL_DIR, models, { readOnly: true });
    // Every other path the image writes (its contract), each on a scratch volume
    // under the read-only root; /tmp comes with the Microservice.
    const scratch: Record<string, [string, string]> = {
      "/var/cache/pipeline_root": ["PipelineRoot", "pipeline-root"],
      [PIPELINE_SERVER_CACHE]: ["HomeCache", "home-cache"],
      "/var/tmp": ["VarTmp", "var-tmp"],
    };
    for (const [path, [id, name]] of Object.entries(scratch)) container.mount(path, kplus.Volume.fromEmptyDir(this, id, name));

    const fetcher = deployment.addInitContainer({
      name: "fetch-model",
      image: props.modelFetcherImage,
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
    config.mount(fetcher, "/scripts");
  }
}
