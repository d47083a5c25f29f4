/**
 * One job: image from S3 -> detection -> one prediction event on the topic.
 *
 * Permanent failures (the image is gone or unreadable) publish a "failed" event,
 * so the user hears about it, and the job is done. Anything else (S3 or SNS
 * unavailable, a model error) throws: the message comes back after the
 * visibility timeout and lands in the dead-letter queue after maxReceiveCount.
 */
import { randomUUID } from "node:crypto";
import type { DetectedObject, PredictionEvent } from "../../lib/events";
import { parseJob } from "../../lib/events";
import type { Logger } from "../../lib/logger";
import type { RgbaImage } from "./preprocess";

export class ImageNotFound extends Error {
  constructor() {
    super("image not found in the images bucket (expired or never stored)");
    this.name = "ImageNotFound";
  }
}

export interface JobDeps {
  readonly modelVersion: string;
  /** Bytes of an image object; throws ImageNotFound when it does not exist. */
  getImage(key: string, signal: AbortSignal): Promise<Uint8Array>;
  decode(bytes: Uint8Array): RgbaImage;
  detect(img: RgbaImage): Promise<DetectedObject[]>;
  publish(event: PredictionEvent): Promise<void>;
  readonly logger: Logger;
  readonly now?: () => Date;
  readonly newId?: () => string;
  /** Called per finished prediction, for metrics. */
  onPrediction?(event: PredictionEvent): void;
}

/** Errors whose cause is the job's image, not our infrastructure. */
const PERMANENT = new Set(["ImageNotFound", "UnreadableImage", "ImageTooLarge"]);

export async function handleJob(body: string | undefined, signal: AbortSignal, d: JobDeps): Promise<PredictionEvent> {
  const job = parseJob(body);
  const now = d.now ?? (() => new Date());
  const started = performance.now();
  let labels: DetectedObject[] = [];
  let status: PredictionEvent["status"] = "ok";
  let error: string | undefined;
  try {
    const bytes = await d.getImage(job.imageKey, signal);
    labels = await d.detect(d.decode(bytes));
  } catch (e) {
    if (!(e instanceof Error) || !PERMANENT.has(e.name)) throw e;
    status = "failed";
    error = e.message;
  }
  const event: PredictionEvent = {
    predictionId: (d.newId ?? randomUUID)(),
    jobId: job.jobId,
    chatId: job.chatId,
    userId: job.userId,
    modelVersion: d.modelVersion,
    status,
    ...(error ? { error } : {}),
    labels,
    durationMs: Math.round(performance.now() - started),
    at: now().toISOString(),
  };
  await d.publish(event);
  d.onPrediction?.(event);
  d.logger.info("prediction published", {
    jobId: job.jobId,
    predictionId: event.predictionId,
    status,
    objects: labels.length,
    durationMs: event.durationMs,
    ...(error ? { reason: error } : {}),
  });
  return event;
}
