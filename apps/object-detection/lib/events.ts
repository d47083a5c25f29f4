/**
 * The messages between the services, with validators: a message that does not
 * match is rejected (and ends in the dead-letter queue), never half-processed.
 */

/** polybot -> jobs queue -> yolo5. */
export interface PredictionJob {
  readonly jobId: string;
  readonly chatId: number;
  /** The Telegram user, for metering (the chat can be a group). */
  readonly userId: number;
  /** S3 key in the images bucket. */
  readonly imageKey: string;
}

/** Box corners in pixels of the original image. */
export interface Box {
  readonly x1: number;
  readonly y1: number;
  readonly x2: number;
  readonly y2: number;
}

export interface DetectedObject {
  readonly label: string;
  readonly confidence: number;
  readonly box: Box;
}

/** yolo5 -> events topic -> polybot, metering, model-analyzer. */
export interface PredictionEvent {
  readonly predictionId: string;
  readonly jobId: string;
  readonly chatId: number;
  readonly userId: number;
  /** Image/model version (the yolo5 image tag). */
  readonly modelVersion: string;
  /** "failed": the image could not be analysed (unreadable, missing); labels is empty. */
  readonly status: "ok" | "failed";
  /** Short reason when failed; never contains user data. */
  readonly error?: string;
  readonly labels: readonly DetectedObject[];
  readonly durationMs: number;
  /** ISO 8601 time the prediction finished. */
  readonly at: string;
}

export class InvalidMessage extends Error {
  constructor(message: string) {
    super(message);
    this.name = "InvalidMessage";
  }
}

function parseObject(body: string | undefined, what: string): Record<string, unknown> {
  let v: unknown;
  try {
    v = JSON.parse(body ?? "");
  } catch {
    throw new InvalidMessage(`${what}: not JSON`);
  }
  if (typeof v !== "object" || v === null || Array.isArray(v)) throw new InvalidMessage(`${what}: not a JSON object`);
  return v as Record<string, unknown>;
}

const str = (o: Record<string, unknown>, k: string, what: string): string => {
  const v = o[k];
  if (typeof v !== "string" || v === "" || v.length > 512) throw new InvalidMessage(`${what}.${k}: expected a non-empty string`);
  return v;
};
const int = (o: Record<string, unknown>, k: string, what: string): number => {
  const v = o[k];
  if (typeof v !== "number" || !Number.isSafeInteger(v)) throw new InvalidMessage(`${what}.${k}: expected an integer`);
  return v;
};
const num = (o: Record<string, unknown>, k: string, what: string): number => {
  const v = o[k];
  if (typeof v !== "number" || !Number.isFinite(v)) throw new InvalidMessage(`${what}.${k}: expected a number`);
  return v;
};

/** Keys S3 accepts from us: what polybot writes, nothing that climbs out of the prefix. */
const IMAGE_KEY = /^images\/[A-Za-z0-9-]+\.jpg$/;

export function parseJob(body: string | undefined): PredictionJob {
  const o = parseObject(body, "job");
  const imageKey = str(o, "imageKey", "job");
  if (!IMAGE_KEY.test(imageKey)) throw new InvalidMessage(`job.imageKey: ${JSON.stringify(imageKey)} is not an images/<id>.jpg key`);
  return { jobId: str(o, "jobId", "job"), chatId: int(o, "chatId", "job"), userId: int(o, "userId", "job"), imageKey };
}

export function parsePredictionEvent(body: string | undefined): PredictionEvent {
  const what = "event";
  const o = parseObject(body, what);
  const status = o.status;
  if (status !== "ok" && status !== "failed") throw new InvalidMessage(`${what}.status: expected "ok" or "failed"`);
  if (!Array.isArray(o.labels)) throw new InvalidMessage(`${what}.labels: expected an array`);
  const labels = o.labels.map((l, i): DetectedObject => {
    if (typeof l !== "object" || l === null) throw new InvalidMessage(`${what}.labels[${i}]: expected an object`);
    const lo = l as Record<string, unknown>;
    const b = lo.box;
    if (typeof b !== "object" || b === null) throw new InvalidMessage(`${what}.labels[${i}].box: expected an object`);
    const bo = b as Record<string, unknown>;
    const w = `${what}.labels[${i}]`;
    const confidence = num(lo, "confidence", w);
    if (confidence < 0 || confidence > 1) throw new InvalidMessage(`${w}.confidence: expected 0..1`);
    return {
      label: str(lo, "label", w),
      confidence,
      box: { x1: num(bo, "x1", `${w}.box`), y1: num(bo, "y1", `${w}.box`), x2: num(bo, "x2", `${w}.box`), y2: num(bo, "y2", `${w}.box`) },
    };
  });
  const at = str(o, "at", what);
  if (Number.isNaN(Date.parse(at))) throw new InvalidMessage(`${what}.at: expected an ISO 8601 time`);
  const durationMs = num(o, "durationMs", what);
  if (durationMs < 0) throw new InvalidMessage(`${what}.durationMs: expected >= 0`);
  return {
    predictionId: str(o, "predictionId", what),
    jobId: str(o, "jobId", what),
    chatId: int(o, "chatId", what),
    userId: int(o, "userId", what),
    modelVersion: str(o, "modelVersion", what),
    status,
    ...(typeof o.error === "string" ? { error: o.error.slice(0, 200) } : {}),
    labels,
    durationMs,
    at,
  };
}
