/**
 * Values of the object-detection application (`objectDetection:` in a values file).
 */
import { DEFAULT_RESOURCES, ResourceSpec } from "../../constructs/resources";
import { Validator } from "../../lib/validate";
import type { GlobalValues } from "../global-values";
import {
  AutoscalingValues,
  readAutoscaling,
  readDataKey,
  readHost,
  readImage,
  readReplicas,
  readResources,
  readSecretName,
  section,
} from "../values-common";

/** Namespace of every object of the application. */
export const OBJECT_DETECTION_NAMESPACE = "object-detection";

/**
 * Default images. These repositories do not exist publicly: the seed's images
 * are built by each team. Set `objectDetection.<service>.image` (or
 * `global.imageRegistry`) to your own, pinned to a tag.
 */
export const DEFAULT_OBJECT_DETECTION_IMAGES = {
  polybot: "registry.example.com/object-detection/polybot:1.0.0",
  yolo5: "registry.example.com/object-detection/yolo5:1.0.0",
  metering: "registry.example.com/object-detection/metering:1.0.0",
  modelAnalyzer: "registry.example.com/object-detection/model-analyzer:1.0.0",
} as const;

export interface PolybotValues {
  readonly image: string;
  readonly replicas: number;
  readonly resources: ResourceSpec;
  /** Public host Telegram posts updates to (`https://<host>/<webhookPath>`). */
  readonly host: string;
  /** Existing Secret holding the bot token and the webhook secret token. */
  readonly telegramSecret: {
    readonly name: string;
    /** Key of the bot token from BotFather. */
    readonly tokenKey: string;
    /** Key of the value Telegram echoes in `X-Telegram-Bot-Api-Secret-Token`. */
    readonly webhookSecretKey: string;
  };
}

export interface Yolo5Values {
  readonly image: string;
  readonly resources: ResourceSpec;
  readonly autoscaling: AutoscalingValues;
}

export interface ConsumerValues {
  readonly image: string;
  readonly replicas: number;
  readonly resources: ResourceSpec;
}

export interface ObjectDetectionValues {
  readonly polybot: PolybotValues;
  readonly yolo5: Yolo5Values;
  readonly metering: ConsumerValues;
  readonly modelAnalyzer: ConsumerValues;
}

/** yolo5 runs the model on CPU: it needs far more than the other services. */
const YOLO5_RESOURCES: ResourceSpec = {
  cpu: { request: "500m", limit: "1" },
  memory: { request: "768Mi", limit: "1536Mi" },
};

export function parseObjectDetectionValues(v: Validator, global: GlobalValues): ObjectDetectionValues {
  v.rejectUnknownKeys(["polybot", "yolo5", "metering", "modelAnalyzer"]);
  const reg = global.imageRegistry;

  const p = section(v, "polybot");
  p.rejectUnknownKeys(["image", "replicas", "resources", "host", "telegramSecret"]);
  const ts = section(p, "telegramSecret");
  ts.rejectUnknownKeys(["name", "tokenKey", "webhookSecretKey"]);
  const polybot: PolybotValues = {
    image: readImage(p, "image", DEFAULT_OBJECT_DETECTION_IMAGES.polybot, reg),
    replicas: readReplicas(p, "replicas", 2),
    resources: readResources(p, "resources", DEFAULT_RESOURCES),
    host: readHost(p, "host", `polybot.${global.domain}`),
    telegramSecret: {
      name: readSecretName(ts, "name", "polybot-telegram"),
      tokenKey: readDataKey(ts, "tokenKey", "token"),
      webhookSecretKey: readDataKey(ts, "webhookSecretKey", "webhook-secret"),
    },
  };

  const y = section(v, "yolo5");
  y.rejectUnknownKeys(["image", "resources", "autoscaling"]);
  const yolo5: Yolo5Values = {
    image: readImage(y, "image", DEFAULT_OBJECT_DETECTION_IMAGES.yolo5, reg),
    resources: readResources(y, "resources", YOLO5_RESOURCES),
    autoscaling: readAutoscaling(y, "autoscaling", { minReplicas: 1, maxReplicas: 5, cpuUtilization: 70 }),
  };

  const consumer = (key: "metering" | "modelAnalyzer"): ConsumerValues => {
    const c = section(v, key);
    c.rejectUnknownKeys(["image", "replicas", "resources"]);
    return {
      image: readImage(c, "image", DEFAULT_OBJECT_DETECTION_IMAGES[key], reg),
      replicas: readReplicas(c, "replicas", 1),
      resources: readResources(c, "resources", DEFAULT_RESOURCES),
    };
  };
  return { polybot, yolo5, metering: consumer("metering"), modelAnalyzer: consumer("modelAnalyzer") };
}
