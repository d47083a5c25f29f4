/**
 * The `objectDetection` section of the stack configuration: the AWS side of the
 * object-detection application (SQS queues, SNS topic, images bucket, DynamoDB
 * tables, image repositories and builds). One structured key:
 *
 *   pulumi config set --path objectDetection.eventRetentionSeconds 1800
 *   pulumi config set --path objectDetection.build true
 *
 * Pure (no Pulumi). The program reads it through the chart's registry entry
 * (`aws.parse`), and creates what {@link objectDetectionMessaging},
 * {@link objectDetectionStorage} and {@link objectDetectionImages} declare, with
 * the access {@link objectDetectionAccess} gives each service.
 */
import { Validator } from "../../lib/validate";
import type { ImagesDeclaration, MessagingDeclaration, ServiceAccess, StorageDeclaration } from "../chart-entry";

/** Stack configuration keys of this section (without the project prefix). */
export const OBJECT_DETECTION_KEYS = ["objectDetection"] as const;

/** SQS limits for `MessageRetentionPeriod`: one minute to 14 days. */
export const SQS_MIN_RETENTION_SECONDS = 60;
export const SQS_MAX_RETENTION_SECONDS = 1_209_600;
/** SQS limit for `VisibilityTimeout`: 12 hours. */
export const SQS_MAX_VISIBILITY_TIMEOUT_SECONDS = 43_200;

export const OBJECT_DETECTION_DEFAULTS = {
  enabled: true,
  /** Prediction jobs not picked up within a day are stale: the user has moved on. */
  jobRetentionSeconds: 86_400,
  /**
   * Prediction events carry user data that may be kept only briefly (the seed's
   * regulatory constraint), so the consumers' queues forget them after an hour.
   */
  eventRetentionSeconds: 3_600,
  /**
   * Dead-letter queues keep failed messages a day for inspection. SQS keeps a
   * message's original enqueue time when it moves to a DLQ, so this must be at
   * least the source queue's retention or the message expires on arrival.
   */
  deadLetterRetentionSeconds: 86_400,
  /** Longer than yolo5's 60 s termination grace period plus a prediction. */
  jobVisibilityTimeoutSeconds: 180,
  eventVisibilityTimeoutSeconds: 60,
  /** Receives before a message is moved to the dead-letter queue. */
  maxReceiveCount: 5,
  /**
   * Build the four images from apps/object-detection and push them to the stack's
   * own ECR repositories (needs Docker with Buildx where `pulumi up` runs, and
   * yolov5WeightsSha256). Off: the images come from `objectDetection.<service>.image`.
   */
  build: false,
  /** sha256 of yolov5s.pt (YOLOv5 v7.0 release) that the yolo5 build checks; required to build. */
  yolov5WeightsSha256: "",
  /** The worker nodes' platform: images run only on the architecture they were built for. */
  imagePlatform: "linux/amd64",
  /** Images each ECR repository keeps; older ones are expired. */
  keepImages: 10,
} as const;

export interface ObjectDetectionConfig {
  /** Create the queues, topic and worker policy. */
  readonly enabled: boolean;
  readonly jobRetentionSeconds: number;
  readonly eventRetentionSeconds: number;
  readonly deadLetterRetentionSeconds: number;
  readonly jobVisibilityTimeoutSeconds: number;
  readonly eventVisibilityTimeoutSeconds: number;
  readonly maxReceiveCount: number;
  /** Build and push the images (otherwise the values name them). */
  readonly build: boolean;
  readonly yolov5WeightsSha256: string;
  readonly imagePlatform: string;
  readonly keepImages: number;
}

const SUB_KEYS = Object.keys(OBJECT_DETECTION_DEFAULTS);

export function parseObjectDetection(v: Validator): ObjectDetectionConfig {
  const d = OBJECT_DETECTION_DEFAULTS;
  const s = v.object("objectDetection") ?? new Validator({}, v.keyPath("objectDetection"));
  s.rejectUnknownKeys(SUB_KEYS);
  const retention = { min: SQS_MIN_RETENTION_SECONDS, max: SQS_MAX_RETENTION_SECONDS };
  const visibility = { min: 0, max: SQS_MAX_VISIBILITY_TIMEOUT_SECONDS };
  const out: ObjectDetectionConfig = {
    enabled: s.boolean("enabled", d.enabled),
    jobRetentionSeconds: s.number("jobRetentionSeconds", d.jobRetentionSeconds, retention),
    eventRetentionSeconds: s.number("eventRetentionSeconds", d.eventRetentionSeconds, retention),
    deadLetterRetentionSeconds: s.number("deadLetterRetentionSeconds", d.deadLetterRetentionSeconds, retention),
    jobVisibilityTimeoutSeconds: s.number("jobVisibilityTimeoutSeconds", d.jobVisibilityTimeoutSeconds, visibility),
    eventVisibilityTimeoutSeconds: s.number("eventVisibilityTimeoutSeconds", d.eventVisibilityTimeoutSeconds, visibility),
    maxReceiveCount: s.number("maxReceiveCount", d.maxReceiveCount, { min: 1, max: 1000 }),
    build: s.boolean("build", d.build),
    yolov5WeightsSha256: s.string("yolov5WeightsSha256", d.yolov5WeightsSha256, {
      pattern: /(?:[a-f0-9]{64})?/,
      allowed: "the sha256 of yolov5s.pt from the YOLOv5 v7.0 release (64 lower-case hex digits)",
    }),
    imagePlatform: s.string("imagePlatform", d.imagePlatform, { oneOf: ["linux/amd64", "linux/arm64"] }),
    keepImages: s.number("keepImages", d.keepImages, { min: 1, max: 1000 }),
  };
  // A bad value was reported above (and fell back to ""): say "required" only when it is absent.
  if (out.build && out.yolov5WeightsSha256 === "" && !s.has("yolov5WeightsSha256")) {
    s.fail(
      "yolov5WeightsSha256",
      "",
      "the sha256 of yolov5s.pt (YOLOv5 v7.0 release) when objectDetection.build is true: the yolo5 build checks the weights before loading them",
    );
  }
  const longest = Math.max(out.jobRetentionSeconds, out.eventRetentionSeconds);
  if (out.deadLetterRetentionSeconds < longest) {
    s.fail(
      "deadLetterRetentionSeconds",
      out.deadLetterRetentionSeconds,
      `at least the longest source queue retention (${longest}): SQS keeps the original enqueue time, so a shorter DLQ retention deletes failed messages on arrival`,
    );
  }
  return out;
}

/** Keys of the declared queues and topic (resource names `<cluster>-od-<key>`). */
export const JOBS_QUEUE = "jobs";
export const PREDICTION_EVENTS_TOPIC = "prediction-events";
export const METERING_QUEUE = "metering";
export const MODEL_ANALYZER_QUEUE = "model-analyzer";
export const POLYBOT_QUEUE = "polybot";
/** Keys of the images bucket and the tables (resource names `<cluster>-od-<key>`). */
export const IMAGES_BUCKET = "images";
export const METERING_TABLE = "metering";
export const MODEL_ANALYZER_TABLE = "model-analyzer";
/** Where polybot stores photos (`images/<jobId>.jpg`); yolo5 reads them from there. */
export const IMAGES_PREFIX = "images/";
/** Photos are needed only until yolo5 has read them: a day covers the jobs queue's retention. */
export const IMAGE_EXPIRY_DAYS = 1;
/** The services (deployment, service account and image repository names). */
export const OBJECT_DETECTION_SERVICES = ["polybot", "yolo5", "metering", "model-analyzer"] as const;
export type ObjectDetectionService = (typeof OBJECT_DETECTION_SERVICES)[number];

/**
 * The jobs queue (polybot sends, yolo5 consumes), the prediction-events topic
 * (yolo5 publishes) and one queue per event consumer (metering, model-analyzer,
 * and polybot, which answers the chat) subscribed to it. Dead-letter queues are
 * left to operators.
 */
export function objectDetectionMessaging(c: ObjectDetectionConfig): MessagingDeclaration {
  const events = { retentionSeconds: c.eventRetentionSeconds, visibilityTimeoutSeconds: c.eventVisibilityTimeoutSeconds };
  return {
    component: "ObjectDetectionQueues",
    prefix: "od",
    app: "object-detection",
    deadLetterRetentionSeconds: c.deadLetterRetentionSeconds,
    maxReceiveCount: c.maxReceiveCount,
    queues: [
      {
        key: JOBS_QUEUE,
        label: "PredictionJobs",
        retentionSeconds: c.jobRetentionSeconds,
        visibilityTimeoutSeconds: c.jobVisibilityTimeoutSeconds,
        send: true,
        consume: true,
      },
    ],
    topics: [
      {
        key: PREDICTION_EVENTS_TOPIC,
        label: "PredictionEvents",
        publish: true,
        subscribers: [
          { key: METERING_QUEUE, ...events },
          { key: MODEL_ANALYZER_QUEUE, ...events },
          { key: POLYBOT_QUEUE, ...events },
        ],
      },
    ],
  };
}

/**
 * The images bucket (photos expire after {@link IMAGE_EXPIRY_DAYS}) and two tables
 * whose items DynamoDB deletes at their `expiresAt` (the services set it from
 * their retention): metering's usage per user and day, model-analyzer's
 * statistics per model version and hour.
 */
export function objectDetectionStorage(): StorageDeclaration {
  return {
    component: "ObjectDetectionStorage",
    prefix: "od",
    app: "object-detection",
    buckets: [{ key: IMAGES_BUCKET, expirations: [{ prefix: IMAGES_PREFIX, days: IMAGE_EXPIRY_DAYS }] }],
    tables: [
      { key: METERING_TABLE, hashKey: "userId", rangeKey: "sk", ttlAttribute: "expiresAt" },
      { key: MODEL_ANALYZER_TABLE, hashKey: "modelVersion", rangeKey: "hour", ttlAttribute: "expiresAt" },
    ],
  };
}

/** One ECR repository per service; built from apps/object-detection when `build` is set. */
export function objectDetectionImages(c: ObjectDetectionConfig): ImagesDeclaration {
  return {
    component: "ObjectDetectionImages",
    prefix: "od",
    app: "object-detection",
    build: c.build,
    keepImages: c.keepImages,
    context: "apps/object-detection",
    platforms: [c.imagePlatform],
    images: OBJECT_DETECTION_SERVICES.map((key) => ({
      key,
      dockerfile: `${key}/Dockerfile`,
      ...(key === "yolo5" ? { buildArgs: { YOLOV5_WEIGHTS_SHA256: c.yolov5WeightsSha256 } } : {}),
    })),
  };
}

/** What each service does with AWS, and nothing more (its pods' service account has its name). */
export function objectDetectionAccess(): readonly ServiceAccess[] {
  return [
    {
      serviceAccount: "polybot",
      label: "Polybot",
      sendQueues: [JOBS_QUEUE],
      consumeQueues: [POLYBOT_QUEUE],
      objects: [{ bucket: IMAGES_BUCKET, prefix: IMAGES_PREFIX, write: true }],
    },
    {
      serviceAccount: "yolo5",
      label: "Yolo5",
      consumeQueues: [JOBS_QUEUE],
      publishTopics: [PREDICTION_EVENTS_TOPIC],
      objects: [{ bucket: IMAGES_BUCKET, prefix: IMAGES_PREFIX, read: true }],
    },
    {
      serviceAccount: "metering",
      label: "Metering",
      consumeQueues: [METERING_QUEUE],
      tables: [{ table: METERING_TABLE, actions: ["PutItem", "UpdateItem", "Query", "DescribeTable"] }],
    },
    {
      serviceAccount: "model-analyzer",
      label: "ModelAnalyzer",
      consumeQueues: [MODEL_ANALYZER_QUEUE],
      tables: [{ table: MODEL_ANALYZER_TABLE, actions: ["UpdateItem", "Scan", "DescribeTable"] }],
    },
  ];
}
