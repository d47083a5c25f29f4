import type { PredictionEvent } from "../../../apps/object-detection/lib/events";
import { MeteringStore } from "../../../apps/object-detection/metering/src/store";
import { isVisible, report, usageUpdate } from "../../../apps/object-detection/metering/src/usage";
import { RecordingClient } from "./support";

const DAY = 86400;
const event = (over: Partial<PredictionEvent> = {}): PredictionEvent => ({
  predictionId: "p-1",
  jobId: "j-1",
  chatId: 10,
  userId: 20,
  modelVersion: "1.0.0",
  status: "ok",
  labels: [
    { label: "cat", confidence: 0.9, box: { x1: 0, y1: 0, x2: 1, y2: 1 } },
    { label: "dog", confidence: 0.8, box: { x1: 0, y1: 0, x2: 1, y2: 1 } },
  ],
  durationMs: 120,
  at: "2026-03-01T23:30:00.000Z",
  ...over,
});

describe("metering: usage per user and UTC day", () => {
  test("an event becomes one prediction and its objects on the event's UTC day, expiring retention after it", () => {
    expect(usageUpdate(event(), 30 * DAY)).toEqual({
      userId: "20",
      day: "2026-03-01",
      predictionId: "p-1",
      predictions: 1,
      failed: 0,
      objects: 2,
      lastAt: "2026-03-01T23:30:00.000Z",
      expiresAt: Date.parse("2026-03-01T23:30:00Z") / 1000 + 30 * DAY,
    });
    // An offset time lands on its UTC day.
    expect(usageUpdate(event({ at: "2026-03-02T00:30:00+02:00" }), DAY).day).toBe("2026-03-01");
    expect(usageUpdate(event({ status: "failed", labels: [] }), DAY)).toMatchObject({ predictions: 0, failed: 1, objects: 0 });
  });

  test("retention: hidden once past the TTL or past the configured retention, whichever is first", () => {
    const d = { lastAt: "2026-03-01T00:00:00.000Z", expiresAt: Date.parse("2026-03-31T00:00:00Z") / 1000 };
    expect(isVisible(d, 30 * DAY, new Date("2026-03-30T23:59:59Z"))).toBe(true);
    expect(isVisible(d, 30 * DAY, new Date("2026-03-31T00:00:00Z"))).toBe(false);
    // Retention shortened to a day: hidden at once, whatever the stored TTL.
    expect(isVisible(d, DAY, new Date("2026-03-02T00:00:01Z"))).toBe(false);
  });

  test("report totals the visible days only, oldest first", () => {
    const mk = (day: string, n: number) => ({ day, predictions: n, failed: 1, objects: 2 * n, lastAt: `${day}T12:00:00.000Z`, expiresAt: Date.parse(`${day}T12:00:00Z`) / 1000 + 7 * DAY });
    const r = report("20", [mk("2026-03-05", 2), mk("2026-03-01", 5), mk("2026-02-20", 9)], 7 * DAY, new Date("2026-03-06T00:00:00Z"));
    expect(r).toEqual({
      userId: "20",
      retentionSeconds: 7 * DAY,
      days: [
        { day: "2026-03-01", predictions: 5, failed: 1, objects: 10 },
        { day: "2026-03-05", predictions: 2, failed: 1, objects: 4 },
      ],
      total: { predictions: 7, failed: 2, objects: 14 },
    });
  });
});

describe("metering store (DynamoDB)", () => {
  test("counts in one transaction with an idempotency marker; both items carry the numeric TTL attribute", async () => {
    const db = new RecordingClient();
    expect(await new MeteringStore(db, "usage").record(usageUpdate(event(), 30 * DAY))).toBe("recorded");
    const [tx] = db.named("TransactWriteItemsCommand");
    const [put, update] = tx.input.TransactItems as { Put?: Record<string, unknown>; Update?: Record<string, unknown> }[];
    const exp = String(Date.parse("2026-03-01T23:30:00Z") / 1000 + 30 * DAY);
    expect(put.Put).toMatchObject({ TableName: "usage", Item: { userId: { S: "20" }, sk: { S: "event#p-1" }, expiresAt: { N: exp } }, ConditionExpression: "attribute_not_exists(sk)" });
    expect(update.Update).toMatchObject({
      Key: { userId: { S: "20" }, sk: { S: "day#2026-03-01" } },
      UpdateExpression: "ADD predictions :p, failed :f, objects :o SET lastAt = :at, expiresAt = :e",
      ExpressionAttributeValues: { ":p": { N: "1" }, ":f": { N: "0" }, ":o": { N: "2" }, ":e": { N: exp } },
    });
  });

  test("a redelivered event (marker exists) is a duplicate, not an error; other failures throw", async () => {
    const cancelled = Object.assign(new Error("Transaction cancelled"), { name: "TransactionCanceledException", CancellationReasons: [{ Code: "ConditionalCheckFailed" }, { Code: "None" }] });
    const dup = new RecordingClient(async () => Promise.reject(cancelled));
    expect(await new MeteringStore(dup, "usage").record(usageUpdate(event(), DAY))).toBe("duplicate");
    const conflict = Object.assign(new Error("Transaction cancelled"), { name: "TransactionCanceledException", CancellationReasons: [{ Code: "None" }, { Code: "TransactionConflict" }] });
    await expect(new MeteringStore(new RecordingClient(async () => Promise.reject(conflict)), "usage").record(usageUpdate(event(), DAY))).rejects.toThrow(/cancelled/);
  });

  test("reads the day items of one user, following pagination", async () => {
    const item = (day: string) => ({ userId: { S: "20" }, sk: { S: `day#${day}` }, predictions: { N: "3" }, failed: { N: "0" }, objects: { N: "4" }, lastAt: { S: `${day}T01:00:00.000Z` }, expiresAt: { N: "99" } });
    let page = 0;
    const db = new RecordingClient(async () => (page++ === 0 ? { Items: [item("2026-03-01")], LastEvaluatedKey: { k: { S: "x" } } } : { Items: [item("2026-03-02")] }));
    const days = await new MeteringStore(db, "usage").days("20");
    expect(days.map((d) => d.day)).toEqual(["2026-03-01", "2026-03-02"]);
    expect(db.named("QueryCommand")[0].input).toMatchObject({ KeyConditionExpression: "userId = :u AND begins_with(sk, :p)", ExpressionAttributeValues: { ":u": { S: "20" }, ":p": { S: "day#" } } });
    expect(db.named("QueryCommand")[1].input.ExclusiveStartKey).toEqual({ k: { S: "x" } });
  });
});
