/**
 * The `objectDetection` section of the stack configuration: the AWS side of the
 * object-detection application (SQS queues, SNS topic). One structured key:
 *
 *   pulumi config set --path objectDetection.eventRetentionSeconds 1800
 *
 * Pure (no Pulumi). The program reads it through the chart's registry entry
 * (`aws.parse`), and creates what {@link objectDetectionMessaging} declares.
 */
import { Validator } from "../../lib/validate";
import type { MessagingDeclaration } from "../chart-entry";

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
  };
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

/**
 * The jobs queue (polybot sends, yolo5 consumes), the prediction-events topic
 * (yolo5 publishes) and one queue per event consumer (metering, model-analyzer)
 * subscribed to it. Dead-letter queues are left to operators.
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
        ],
      },
    ],
  };
}
