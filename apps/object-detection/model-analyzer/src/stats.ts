/**
 * Per-model-version statistics with no user data (the seed's regulatory
 * constraint): no user id, chat id, image key, job id or prediction id may reach
 * the store, nor anything that could join a record back to one (exact times,
 * boxes, which could fingerprint an image).
 *
 * Enforced by structure: {@link toModelStats} is the only way from an event to
 * a {@link ModelStatsDelta}; it copies named fields, never spreads the event;
 * and {@link assertUserFree} checks the exact key set before every write.
 */
import type { PredictionEvent } from "../../lib/events";

/** Upper bounds (ms) of the latency histogram; the last bucket is open. */
export const LATENCY_BOUNDS_MS = [100, 250, 500, 1000, 2000, 4000, 8000, 16000] as const;
/** Confidence histogram: 10 buckets of 0.1. */
export const CONFIDENCE_BUCKETS = 10;

export interface ModelStatsDelta {
  readonly modelVersion: string;
  /** UTC hour bucket, YYYY-MM-DDTHH. */
  readonly hour: string;
  readonly predictions: number;
  readonly failed: number;
  readonly objects: number;
  readonly latencySumMs: number;
  /** Index into LATENCY_BOUNDS_MS (length = open bucket). */
  readonly latencyBucket: number;
  /** Count of detections per confidence bucket. */
  readonly confidence: readonly number[];
  readonly labels: Readonly<Record<string, number>>;
  /** The prediction time rounded down to the minute. */
  readonly lastAt: string;
  /** Epoch seconds: DynamoDB's TTL attribute. */
  readonly expiresAt: number;
}

const DELTA_KEYS = [
  "modelVersion",
  "hour",
  "predictions",
  "failed",
  "objects",
  "latencySumMs",
  "latencyBucket",
  "confidence",
  "labels",
  "lastAt",
  "expiresAt",
].sort();

/**
 * Model versions and labels are short identifiers (an image tag, a COCO class
 * name); anything else is refused rather than stored. All-digit values are
 * refused too: that is what a Telegram user or chat id looks like.
 */
const IDENT = /^[A-Za-z0-9][A-Za-z0-9 ._:@+-]{0,127}$/;
const isIdent = (v: string) => IDENT.test(v) && !/^-?\d+$/.test(v);

export function toModelStats(event: PredictionEvent, retentionSeconds: number): ModelStatsDelta {
  const atMs = Date.parse(event.at);
  const minute = new Date(Math.floor(atMs / 60_000) * 60_000);
  const ok = event.status === "ok";
  const confidence = new Array<number>(CONFIDENCE_BUCKETS).fill(0);
  const labels: Record<string, number> = {};
  if (ok) {
    for (const l of event.labels) {
      confidence[Math.min(CONFIDENCE_BUCKETS - 1, Math.floor(l.confidence * CONFIDENCE_BUCKETS))]++;
      labels[l.label] = (labels[l.label] ?? 0) + 1;
    }
  }
  let latencyBucket = LATENCY_BOUNDS_MS.findIndex((b) => event.durationMs <= b);
  if (latencyBucket < 0) latencyBucket = LATENCY_BOUNDS_MS.length;
  const delta: ModelStatsDelta = {
    modelVersion: event.modelVersion,
    hour: minute.toISOString().slice(0, 13),
    predictions: 1,
    failed: ok ? 0 : 1,
    objects: ok ? event.labels.length : 0,
    latencySumMs: Math.round(event.durationMs),
    latencyBucket,
    confidence,
    labels,
    lastAt: minute.toISOString(),
    expiresAt: Math.floor(minute.getTime() / 1000) + retentionSeconds,
  };
  assertUserFree(delta);
  return delta;
}

/** Throws unless `d` has exactly the fields of a ModelStatsDelta, each of its type. */
export function assertUserFree(d: ModelStatsDelta): void {
  const keys = Object.keys(d).sort();
  if (keys.join(",") !== DELTA_KEYS.join(",")) throw new Error(`model stats record has fields [${keys.join(", ")}]; allowed exactly [${DELTA_KEYS.join(", ")}]`);
  if (!isIdent(d.modelVersion)) throw new Error("model stats record: modelVersion is not an identifier");
  if (!/^\d{4}-\d{2}-\d{2}T\d{2}$/.test(d.hour)) throw new Error("model stats record: hour is not YYYY-MM-DDTHH");
  if (!/^\d{4}-\d{2}-\d{2}T\d{2}:\d{2}:00\.000Z$/.test(d.lastAt)) throw new Error("model stats record: lastAt is not a whole minute");
  for (const k of ["predictions", "failed", "objects", "latencySumMs", "latencyBucket", "expiresAt"] as const) {
    if (!Number.isFinite(d[k])) throw new Error(`model stats record: ${k} is not a number`);
  }
  if (!Array.isArray(d.confidence) || d.confidence.length !== CONFIDENCE_BUCKETS || !d.confidence.every(Number.isInteger)) {
    throw new Error("model stats record: confidence is not a histogram");
  }
  for (const [label, n] of Object.entries(d.labels)) {
    if (!isIdent(label) || !Number.isInteger(n)) throw new Error("model stats record: a label is not an identifier");
  }
}

/** One stored hour bucket, as read back. */
export interface HourStats {
  readonly modelVersion: string;
  readonly hour: string;
  readonly predictions: number;
  readonly failed: number;
  readonly objects: number;
  readonly latencySumMs: number;
  readonly latencyBuckets: readonly number[];
  readonly confidence: readonly number[];
  readonly labels: Readonly<Record<string, number>>;
  readonly lastAt: string;
  readonly expiresAt: number;
}

export interface ModelSummary {
  readonly modelVersion: string;
  readonly predictions: number;
  readonly failed: number;
  readonly objects: number;
  readonly labels: readonly { label: string; count: number }[];
  /** Detections per confidence bucket [0-0.1), [0.1-0.2), ... */
  readonly confidenceHistogram: readonly number[];
  readonly latencyMs: { readonly mean: number; readonly p50: number | null; readonly p95: number | null };
  readonly firstHour: string;
  readonly lastHour: string;
}

export function isVisible(h: Pick<HourStats, "lastAt" | "expiresAt">, retentionSeconds: number, now: Date): boolean {
  const nowS = now.getTime() / 1000;
  return h.expiresAt > nowS && Date.parse(h.lastAt) / 1000 + retentionSeconds > nowS;
}

/** Upper bound of the bucket holding quantile q; null for the open bucket. */
export function latencyQuantile(buckets: readonly number[], q: number): number | null {
  const total = buckets.reduce((a, b) => a + b, 0);
  if (total === 0) return null;
  const rank = Math.ceil(q * total);
  let seen = 0;
  for (let i = 0; i < buckets.length; i++) {
    seen += buckets[i];
    if (seen >= rank) return i < LATENCY_BOUNDS_MS.length ? LATENCY_BOUNDS_MS[i] : null;
  }
  return null;
}

export function summarise(hours: readonly HourStats[], retentionSeconds: number, now: Date): ModelSummary[] {
  const byVersion = new Map<string, HourStats[]>();
  for (const h of hours) {
    if (!isVisible(h, retentionSeconds, now)) continue;
    byVersion.set(h.modelVersion, [...(byVersion.get(h.modelVersion) ?? []), h]);
  }
  return [...byVersion.entries()]
    .sort((a, b) => a[0].localeCompare(b[0]))
    .map(([modelVersion, hs]) => {
      const sum = (f: (h: HourStats) => number) => hs.reduce((a, h) => a + f(h), 0);
      const labels = new Map<string, number>();
      const confidence = new Array<number>(CONFIDENCE_BUCKETS).fill(0);
      const latency = new Array<number>(LATENCY_BOUNDS_MS.length + 1).fill(0);
      for (const h of hs) {
        for (const [l, n] of Object.entries(h.labels)) labels.set(l, (labels.get(l) ?? 0) + n);
        h.confidence.forEach((n, i) => (confidence[i] += n));
        h.latencyBuckets.forEach((n, i) => (latency[i] += n));
      }
      const predictions = sum((h) => h.predictions);
      const hoursSorted = hs.map((h) => h.hour).sort();
      return {
        modelVersion,
        predictions,
        failed: sum((h) => h.failed),
        objects: sum((h) => h.objects),
        labels: [...labels.entries()].sort((a, b) => b[1] - a[1] || a[0].localeCompare(b[0])).map(([label, count]) => ({ label, count })),
        confidenceHistogram: confidence,
        latencyMs: {
          mean: predictions === 0 ? 0 : Math.round(sum((h) => h.latencySumMs) / predictions),
          p50: latencyQuantile(latency, 0.5),
          p95: latencyQuantile(latency, 0.95),
        },
        firstHour: hoursSorted[0],
        lastHour: hoursSorted[hoursSorted.length - 1],
      };
    });
}
