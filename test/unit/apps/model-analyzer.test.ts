import type { PredictionEvent } from "../../../apps/object-detection/lib/events";
import { parsePredictionEvent } from "../../../apps/object-detection/lib/events";
import { assertUserFree, latencyQuantile, ModelStatsDelta, summarise, toModelStats } from "../../../apps/object-detection/model-analyzer/src/stats";
import { ModelStatsStore } from "../../../apps/object-detection/model-analyzer/src/store";
import { RecordingClient } from "./support";

const DAY = 86400;
// Distinctive values, so finding one anywhere in what reaches the store is no coincidence.
const USER_ID = 731945268;
const CHAT_ID = -1009988776655;
const IMAGE_KEY = "images/3f1c9e7a-77aa-4bb2-9c3d-5e6f7a8b9c0d.jpg";
const JOB_ID = "3f1c9e7a-77aa-4bb2-9c3d-5e6f7a8b9c0d";
const PREDICTION_ID = "b2c4d6e8-1111-4222-8333-944455566677";
const AT = "2026-04-02T09:41:27.381Z";

const event = (over: Partial<PredictionEvent> = {}): PredictionEvent => ({
  predictionId: PREDICTION_ID,
  jobId: JOB_ID,
  chatId: CHAT_ID,
  userId: USER_ID,
  modelVersion: "1.4.0",
  status: "ok",
  labels: [
    { label: "person", confidence: 0.91, box: { x1: 12.5, y1: 40, x2: 99.5, y2: 310 } },
    { label: "person", confidence: 0.55, box: { x1: 140, y1: 42, x2: 201, y2: 300 } },
    { label: "dog", confidence: 0.3, box: { x1: 10, y1: 200, x2: 60, y2: 260 } },
  ],
  durationMs: 740,
  at: AT,
  ...over,
});

describe("model-analyzer: no user data reaches the store", () => {
  test("every byte sent to DynamoDB for an event, even one carrying extra user fields, is free of its ids, key, times and boxes", async () => {
    // What a future producer might add: the parser must drop it, the mapping must not copy it.
    const body = JSON.stringify({ ...event(), imageKey: IMAGE_KEY, username: "alice_tg", firstName: "Alice" });
    const db = new RecordingClient();
    await new ModelStatsStore(db, "stats").add(toModelStats(parsePredictionEvent(body), 14 * DAY));
    const sent = JSON.stringify(db.sent);
    expect(db.sent).toHaveLength(1);
    for (const forbidden of [String(USER_ID), String(CHAT_ID), IMAGE_KEY, JOB_ID, PREDICTION_ID, AT, "alice_tg", "Alice", "12.5", "99.5"]) {
      expect(sent).not.toContain(forbidden);
    }
  });

  test("the record has exactly the allowed fields; an extra one (a user id) is refused before any write", async () => {
    const good = toModelStats(event(), DAY);
    const bad = { ...good, userId: USER_ID } as unknown as ModelStatsDelta;
    expect(() => assertUserFree(bad)).toThrow(/allowed exactly/);
    const db = new RecordingClient();
    await expect(new ModelStatsStore(db, "stats").add(bad)).rejects.toThrow(/allowed exactly/);
    expect(db.sent).toEqual([]);
  });

  test("an id smuggled in as a label or model version is refused", () => {
    expect(() => toModelStats(event({ modelVersion: String(USER_ID) }), DAY)).toThrow(/modelVersion/);
    expect(() => toModelStats(event({ labels: [{ label: String(CHAT_ID), confidence: 0.5, box: { x1: 0, y1: 0, x2: 1, y2: 1 } }] }), DAY)).toThrow(/label/);
    expect(() => toModelStats(event({ labels: [{ label: IMAGE_KEY, confidence: 0.5, box: { x1: 0, y1: 0, x2: 1, y2: 1 } }] }), DAY)).toThrow(/label/);
  });
});

describe("model-analyzer aggregation", () => {
  test("an event becomes hour-bucketed counters: labels, confidence histogram, latency bucket; time rounded to the minute", () => {
    expect(toModelStats(event(), 14 * DAY)).toEqual({
      modelVersion: "1.4.0",
      hour: "2026-04-02T09",
      predictions: 1,
      failed: 0,
      objects: 3,
      latencySumMs: 740,
      latencyBucket: 3, // <= 1000 ms
      confidence: [0, 0, 0, 1, 0, 1, 0, 0, 0, 1],
      labels: { person: 2, dog: 1 },
      lastAt: "2026-04-02T09:41:00.000Z",
      expiresAt: Date.parse("2026-04-02T09:41:00Z") / 1000 + 14 * DAY,
    });
    expect(toModelStats(event({ durationMs: 100 }), DAY).latencyBucket).toBe(0);
    expect(toModelStats(event({ durationMs: 99_000 }), DAY).latencyBucket).toBe(8);
    expect(toModelStats(event({ labels: [{ label: "cat", confidence: 1, box: { x1: 0, y1: 0, x2: 1, y2: 1 } }] }), DAY).confidence[9]).toBe(1);
    expect(toModelStats(event({ status: "failed", labels: [] }), DAY)).toMatchObject({ failed: 1, objects: 0, labels: {} });
  });

  test("the store adds counters atomically, with flat attribute names, and sets the TTL", async () => {
    const db = new RecordingClient();
    await new ModelStatsStore(db, "stats").add(toModelStats(event(), DAY));
    const input = db.sent[0].input;
    expect(input.Key).toEqual({ modelVersion: { S: "1.4.0" }, hour: { S: "2026-04-02T09" } });
    expect(input.UpdateExpression).toBe("ADD predictions :p, failed :f, objects :o, latencySumMs :ls, #lat :one, #c3 :c3, #c5 :c5, #c9 :c9, #l0 :l0, #l1 :l1 SET lastAt = :at, expiresAt = :e");
    expect(input.ExpressionAttributeNames).toEqual({ "#lat": "latency:3", "#c3": "conf:3", "#c5": "conf:5", "#c9": "conf:9", "#l0": "label:person", "#l1": "label:dog" });
  });

  test("latency quantiles from the histogram: upper bound of the bucket holding the rank", () => {
    // 10 predictions: 5 under 100 ms, 4 under 500 ms, 1 over 16 s.
    const b = [5, 0, 4, 0, 0, 0, 0, 0, 1];
    expect(latencyQuantile(b, 0.5)).toBe(100);
    expect(latencyQuantile(b, 0.9)).toBe(500);
    expect(latencyQuantile(b, 0.95)).toBeNull(); // the open bucket has no bound
    expect(latencyQuantile([0, 0], 0.5)).toBeNull();
  });

  test("summary: per version, visible hours only, labels by frequency", () => {
    const h = (modelVersion: string, hour: string, predictions: number, labels: Record<string, number>) => ({
      modelVersion,
      hour,
      predictions,
      failed: 0,
      objects: Object.values(labels).reduce((a, b) => a + b, 0),
      latencySumMs: predictions * 200,
      latencyBuckets: [0, predictions, 0, 0, 0, 0, 0, 0, 0],
      confidence: [0, 0, 0, 0, 0, 0, 0, 0, 0, predictions],
      labels,
      lastAt: `${hour}:30:00.000Z`,
      expiresAt: Date.parse(`${hour}:30:00Z`) / 1000 + DAY,
    });
    const now = new Date("2026-04-03T00:00:00Z");
    const s = summarise(
      [h("1.0.0", "2026-04-02T10", 2, { dog: 1, cat: 3 }), h("1.0.0", "2026-04-02T11", 1, { dog: 3 }), h("0.9.0", "2026-03-01T10", 5, { cat: 1 })],
      DAY,
      now,
    );
    expect(s).toHaveLength(1);
    expect(s[0]).toMatchObject({
      modelVersion: "1.0.0",
      predictions: 3,
      objects: 7,
      labels: [
        { label: "dog", count: 4 },
        { label: "cat", count: 3 },
      ],
      latencyMs: { mean: 200, p50: 250, p95: 250 },
      firstHour: "2026-04-02T10",
      lastHour: "2026-04-02T11",
    });
  });
});
