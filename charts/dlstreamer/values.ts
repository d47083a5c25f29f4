/**
 * Values of the DL Streamer pipeline server application (`dlstreamer:` in a
 * values file): the pipeline servers, HAProxy in front of them and the
 * Mosquitto MQTT broker that receives inference results.
 */
import { NODE_PORT_MAX, NODE_PORT_MIN } from "../../constructs/node-port-service";
import { ResourceSpec } from "../../constructs/resources";
import { SpreadPolicy } from "../../constructs/spread-over-nodes";
import { Validator } from "../../lib/validate";
import type { GlobalValues } from "../global-values";
import { HAPROXY_MAX_SERVERS } from "./haproxy-config";
import {
  AutoscalingValues,
  readAutoscaling,
  readDataKey,
  readImage,
  readReplicas,
  readResources,
  readSecretName,
  section,
} from "../values-common";

/** Namespace of every object of the application. */
export const DLSTREAMER_NAMESPACE = "dlstreamer";

/** Pinned images. */
export const DEFAULT_DLSTREAMER_IMAGES = {
  /** Intel DL Streamer Pipeline Server (OpenVINO 2025 based, Ubuntu 24.04). */
  pipelineServer: "intel/dlstreamer-pipeline-server:2026.2.0-ubuntu24",
  /** Official HAProxy image, 3.2 LTS branch (built with the Prometheus exporter). */
  haproxy: "haproxy:3.2.25-alpine",
  /** Eclipse Mosquitto 2.0. */
  mosquitto: "eclipse-mosquitto:2.0.22",
  /** Fetches the detection model at pod start and runs the status script (curl + busybox sh). */
  curl: "curlimages/curl:8.17.0",
} as const;


export interface PipelineServerValues {
  readonly image: string;
  /**
   * Number of worker nodes of the cluster; the default replica count (one
   * pipeline server per node). Set it to the worker count of the cluster.
   */
  readonly workerNodes: number;
  /** Fixed replica count (defaults to workerNodes); not allowed together with autoscaling. */
  readonly replicas: number;
  /** HPA bounds, or undefined for a fixed count. */
  readonly autoscaling?: AutoscalingValues;
  readonly spread: SpreadPolicy;
  readonly resources: ResourceSpec;
  /**
   * Let the container write anywhere. Off: the image's upstream compose file
   * runs it read-only with only /tmp and the pipeline cache writable, which
   * the chart mounts. Turn on only if a pipeline fails writing elsewhere.
   */
  readonly writableRootFilesystem: boolean;
}

export interface HaproxyValues {
  readonly image: string;
  readonly replicas: number;
  readonly nodePort: number;
  /** Server slots; must cover the largest pipeline server count. */
  readonly maxServers: number;
  /** Seconds a pod may take to answer a request. */
  readonly serverTimeoutSeconds: number;
  readonly resources: ResourceSpec;
}

export interface MosquittoValues {
  readonly image: string;
  readonly nodePort: number;
  /** Accept clients without credentials (anyone reaching the node port can publish and subscribe). */
  readonly allowAnonymous: boolean;
  /** Existing Secret holding a `mosquitto_passwd` file; unused when allowAnonymous is true. */
  readonly passwordSecret: { readonly name: string; readonly key: string };
  /** Size of a PersistentVolumeClaim for the persistence database; undefined: an emptyDir (lost with the pod). */
  readonly persistentVolumeSize?: string;
  readonly resources: ResourceSpec;
}

export interface DlstreamerValues {
  readonly pipelineServer: PipelineServerValues;
  readonly haproxy: HaproxyValues;
  readonly mosquitto: MosquittoValues;
  /** Image of the model fetcher and the pipeline-status Job. */
  readonly curlImage: string;
}

/** Video decoding and CPU inference: the pipeline server is the heavy part. */
const PIPELINE_SERVER_RESOURCES: ResourceSpec = {
  cpu: { request: "1", limit: "2" },
  memory: { request: "1Gi", limit: "2Gi" },
};
const HAPROXY_RESOURCES: ResourceSpec = {
  cpu: { request: "100m", limit: "500m" },
  memory: { request: "64Mi", limit: "256Mi" },
};
const MOSQUITTO_RESOURCES: ResourceSpec = {
  cpu: { request: "50m", limit: "500m" },
  memory: { request: "32Mi", limit: "256Mi" },
};

export const DEFAULT_WORKER_NODES = 2;
export const DEFAULT_HAPROXY_NODE_PORT = 31000;
export const DEFAULT_MOSQUITTO_NODE_PORT = 31020;
const NODE_PORT = { min: NODE_PORT_MIN, max: NODE_PORT_MAX };

export function parseDlstreamerValues(v: Validator, global: GlobalValues): DlstreamerValues {
  v.rejectUnknownKeys(["pipelineServer", "haproxy", "mosquitto", "curlImage"]);
  const reg = global.imageRegistry;

  const p = section(v, "pipelineServer");
  p.rejectUnknownKeys(["image", "workerNodes", "replicas", "autoscaling", "spread", "resources", "writableRootFilesystem"]);
  const workerNodes = p.number("workerNodes", DEFAULT_WORKER_NODES, { min: 1, max: 100 });
  const autoscaling = p.has("autoscaling")
    ? readAutoscaling(p, "autoscaling", { minReplicas: workerNodes, maxReplicas: workerNodes * 2, cpuUtilization: 70 })
    : undefined;
  if (autoscaling && p.has("replicas")) {
    p.fail("replicas", p.raw("replicas"), "unset when autoscaling is set (the HPA owns the replica count)");
  }
  const pipelineServer: PipelineServerValues = {
    image: readImage(p, "image", DEFAULT_DLSTREAMER_IMAGES.pipelineServer, reg),
    workerNodes,
    replicas: readReplicas(p, "replicas", workerNodes),
    autoscaling,
    spread: p.string("spread", "DoNotSchedule", { oneOf: ["DoNotSchedule", "ScheduleAnyway"] }) as SpreadPolicy,
    resources: readResources(p, "resources", PIPELINE_SERVER_RESOURCES),
    writableRootFilesystem: p.boolean("writableRootFilesystem", false),
  };

  const h = section(v, "haproxy");
  h.rejectUnknownKeys(["image", "replicas", "nodePort", "maxServers", "serverTimeoutSeconds", "resources"]);
  const mostPods = autoscaling ? autoscaling.maxReplicas : pipelineServer.replicas;
  const maxServers = h.number("maxServers", Math.max(16, mostPods), { min: 1, max: HAPROXY_MAX_SERVERS });
  if (maxServers < mostPods) {
    h.fail("maxServers", maxServers, `at least the largest pipeline server count (${mostPods}); pods beyond the slots get no traffic`);
  }
  const haproxy: HaproxyValues = {
    image: readImage(h, "image", DEFAULT_DLSTREAMER_IMAGES.haproxy, reg),
    replicas: readReplicas(h, "replicas", 2),
    nodePort: h.number("nodePort", DEFAULT_HAPROXY_NODE_PORT, NODE_PORT),
    maxServers,
    serverTimeoutSeconds: h.number("serverTimeoutSeconds", 60, { min: 1, max: 86400 }),
    resources: readResources(h, "resources", HAPROXY_RESOURCES),
  };

  const m = section(v, "mosquitto");
  m.rejectUnknownKeys(["image", "nodePort", "allowAnonymous", "passwordSecret", "persistentVolumeSize", "resources"]);
  const ps = section(m, "passwordSecret");
  ps.rejectUnknownKeys(["name", "key"]);
  const mosquitto: MosquittoValues = {
    image: readImage(m, "image", DEFAULT_DLSTREAMER_IMAGES.mosquitto, reg),
    nodePort: m.number("nodePort", DEFAULT_MOSQUITTO_NODE_PORT, NODE_PORT),
    allowAnonymous: m.boolean("allowAnonymous", false),
    passwordSecret: { name: readSecretName(ps, "name", "mosquitto-passwords"), key: readDataKey(ps, "key", "passwd") },
    persistentVolumeSize: m.string("persistentVolumeSize", undefined, {
      pattern: /[1-9][0-9]*(Mi|Gi)/,
      allowed: "a size in Mi or Gi such as 1Gi",
    }),
    resources: readResources(m, "resources", MOSQUITTO_RESOURCES),
  };
  if (haproxy.nodePort === mosquitto.nodePort) {
    m.fail("nodePort", mosquitto.nodePort, `a node port other than haproxy.nodePort (${haproxy.nodePort})`);
  }

  return { pipelineServer, haproxy, mosquitto, curlImage: readImage(v, "curlImage", DEFAULT_DLSTREAMER_IMAGES.curl, reg) };
}
