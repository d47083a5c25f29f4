/**
 * Usage per Telegram user and UTC day: predictions, failed predictions and
 * objects detected. Pure functions; the store applies them.
 *
 * Retention: a day's counters live for `retentionSeconds` after the user's last
 * prediction that day. DynamoDB's TTL deletes expired items, but only within a
 * few days of expiry, so reads also hide anything past the retention: what the
 * service shows never outlives the promise, and shortening the retention takes
 * effect at once.
 */
import type { PredictionEvent } from "../../lib/events";

export interface UsageUpdate {
  readonly userId: string;
  /** UTC day, YYYY-MM-DD. */
  readonly day: string;
  readonly predictionId: string;
  readonly predictions: number;
  readonly failed: number;
  readonly objects: number;
  /** ISO time of the prediction. */
  readonly lastAt: string;
  /** Epoch seconds: DynamoDB's TTL attribute. */
  readonly expiresAt: number;
}

export interface DayUsage {
  readonly day: string;
  readonly predictions: number;
  readonly failed: number;
  readonly objects: number;
  readonly lastAt: string;
  readonly expiresAt: number;
}

export interface UsageReport {
  readonly userId: string;
  readonly retentionSeconds: number;
  readonly days: readonly Omit<DayUsage, "lastAt" | "expiresAt">[];
  readonly total: { readonly predictions: number; readonly failed: number; readonly objects: number };
}

export function usageUpdate(event: PredictionEvent, retentionSeconds: number): UsageUpdate {
  const atMs = Date.parse(event.at);
  const ok = event.status === "ok";
  return {
    userId: String(event.userId),
    // From the parsed time, not the string: an event stamped with an offset still lands on its UTC day.
    day: new Date(atMs).toISOString().slice(0, 10),
    predictionId: event.predictionId,
    predictions: ok ? 1 : 0,
    failed: ok ? 0 : 1,
    objects: ok ? event.labels.length : 0,
    lastAt: new Date(atMs).toISOString(),
    expiresAt: Math.floor(atMs / 1000) + retentionSeconds,
  };
}

/** Is a stored day still within the retention at `now`? */
export function isVisible(d: Pick<DayUsage, "lastAt" | "expiresAt">, retentionSeconds: number, now: Date): boolean {
  const nowS = now.getTime() / 1000;
  return d.expiresAt > nowS && Date.parse(d.lastAt) / 1000 + retentionSeconds > nowS;
}

export function report(userId: string, days: readonly DayUsage[], retentionSeconds: number, now: Date): UsageReport {
  const visible = days.filter((d) => isVisible(d, retentionSeconds, now)).sort((a, b) => a.day.localeCompare(b.day));
  const total = { predictions: 0, failed: 0, objects: 0 };
  for (const d of visible) {
    total.predictions += d.predictions;
    total.failed += d.failed;
    total.objects += d.objects;
  }
  return {
    userId,
    retentionSeconds,
    days: visible.map(({ day, predictions, failed, objects }) => ({ day, predictions, failed, objects })),
    total,
  };
}
