/**
 * Model statistics in DynamoDB, one item per model version and UTC hour,
 * updated with atomic ADDs. Table: partition key `modelVersion` (S), sort key
 * `hour` (S), TTL on `expiresAt`. Counters are flat attributes (`label:<name>`,
 * `conf:<i>`, `latency:<i>`) because ADD cannot create nested map entries.
 *
 * Redelivered events count twice: acceptable for statistics, and deduplicating
 * would need the prediction id, which must not reach this store.
 */
import { AttributeValue, DescribeTableCommand, ScanCommand, UpdateItemCommand } from "@aws-sdk/client-dynamodb";
import { assertUserFree, CONFIDENCE_BUCKETS, HourStats, LATENCY_BOUNDS_MS, ModelStatsDelta } from "./stats";

export interface DynamoSender {
  // eslint-disable-next-line @typescript-eslint/no-explicit-any
  send(command: any): Promise<any>;
}

export class ModelStatsStore {
  constructor(
    private readonly db: DynamoSender,
    private readonly table: string,
  ) {}

  /** Accepts only a ModelStatsDelta, checked again here: the store is the last gate. */
  async add(d: ModelStatsDelta): Promise<void> {
    assertUserFree(d);
    const names: Record<string, string> = {};
    const values: Record<string, AttributeValue> = {
      ":p": { N: String(d.predictions) },
      ":f": { N: String(d.failed) },
      ":o": { N: String(d.objects) },
      ":ls": { N: String(d.latencySumMs) },
      ":one": { N: "1" },
      ":at": { S: d.lastAt },
      ":e": { N: String(d.expiresAt) },
    };
    const adds = ["predictions :p", "failed :f", "objects :o", "latencySumMs :ls", "#lat :one"];
    names["#lat"] = `latency:${d.latencyBucket}`;
    d.confidence.forEach((n, i) => {
      if (n === 0) return;
      names[`#c${i}`] = `conf:${i}`;
      values[`:c${i}`] = { N: String(n) };
      adds.push(`#c${i} :c${i}`);
    });
    Object.entries(d.labels).forEach(([label, n], i) => {
      names[`#l${i}`] = `label:${label}`;
      values[`:l${i}`] = { N: String(n) };
      adds.push(`#l${i} :l${i}`);
    });
    await this.db.send(
      new UpdateItemCommand({
        TableName: this.table,
        Key: { modelVersion: { S: d.modelVersion }, hour: { S: d.hour } },
        UpdateExpression: `ADD ${adds.join(", ")} SET lastAt = :at, expiresAt = :e`,
        ExpressionAttributeNames: names,
        ExpressionAttributeValues: values,
      }),
    );
  }

  /** Every hour bucket. The table holds versions x hours within the retention: small enough to scan. */
  async all(): Promise<HourStats[]> {
    const out: HourStats[] = [];
    let start: Record<string, AttributeValue> | undefined;
    do {
      const res = await this.db.send(new ScanCommand({ TableName: this.table, ExclusiveStartKey: start }));
      for (const item of (res.Items ?? []) as Record<string, AttributeValue>[]) out.push(fromItem(item));
      start = res.LastEvaluatedKey;
    } while (start);
    return out;
  }

  async reachable(): Promise<boolean> {
    await this.db.send(new DescribeTableCommand({ TableName: this.table }));
    return true;
  }
}

function fromItem(item: Record<string, AttributeValue>): HourStats {
  const n = (k: string) => Number(item[k]?.N ?? 0);
  const labels: Record<string, number> = {};
  for (const k of Object.keys(item)) if (k.startsWith("label:")) labels[k.slice("label:".length)] = n(k);
  return {
    modelVersion: item.modelVersion?.S ?? "",
    hour: item.hour?.S ?? "",
    predictions: n("predictions"),
    failed: n("failed"),
    objects: n("objects"),
    latencySumMs: n("latencySumMs"),
    latencyBuckets: Array.from({ length: LATENCY_BOUNDS_MS.length + 1 }, (_, i) => n(`latency:${i}`)),
    confidence: Array.from({ length: CONFIDENCE_BUCKETS }, (_, i) => n(`conf:${i}`)),
    labels,
    lastAt: item.lastAt?.S ?? new Date(0).toISOString(),
    expiresAt: n("expiresAt"),
  };
}
