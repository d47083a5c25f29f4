/**
 * Usage in DynamoDB. Table: partition key `userId` (S), sort key `sk` (S), TTL
 * on `expiresAt`. Items: `day#<YYYY-MM-DD>` counters, and `event#<predictionId>`
 * markers that make counting idempotent (SQS delivers at least once): both are
 * written in one transaction that fails when the marker exists.
 */
import { AttributeValue, DescribeTableCommand, QueryCommand, TransactWriteItemsCommand } from "@aws-sdk/client-dynamodb";
import type { DayUsage, UsageUpdate } from "./usage";

export interface DynamoSender {
  // eslint-disable-next-line @typescript-eslint/no-explicit-any
  send(command: any): Promise<any>;
}

export const DAY_PREFIX = "day#";
export const EVENT_PREFIX = "event#";

export class MeteringStore {
  constructor(
    private readonly db: DynamoSender,
    private readonly table: string,
  ) {}

  /** "duplicate" when this prediction was already counted. */
  async record(u: UsageUpdate): Promise<"recorded" | "duplicate"> {
    try {
      await this.db.send(
        new TransactWriteItemsCommand({
          TransactItems: [
            {
              Put: {
                TableName: this.table,
                Item: { userId: { S: u.userId }, sk: { S: EVENT_PREFIX + u.predictionId }, expiresAt: { N: String(u.expiresAt) } },
                ConditionExpression: "attribute_not_exists(sk)",
              },
            },
            {
              Update: {
                TableName: this.table,
                Key: { userId: { S: u.userId }, sk: { S: DAY_PREFIX + u.day } },
                UpdateExpression: "ADD predictions :p, failed :f, objects :o SET lastAt = :at, expiresAt = :e",
                ExpressionAttributeValues: {
                  ":p": { N: String(u.predictions) },
                  ":f": { N: String(u.failed) },
                  ":o": { N: String(u.objects) },
                  ":at": { S: u.lastAt },
                  ":e": { N: String(u.expiresAt) },
                },
              },
            },
          ],
        }),
      );
      return "recorded";
    } catch (e) {
      const reasons = (e as { CancellationReasons?: { Code?: string }[] }).CancellationReasons ?? [];
      if (e instanceof Error && e.name === "TransactionCanceledException" && reasons[0]?.Code === "ConditionalCheckFailed") return "duplicate";
      throw e;
    }
  }

  async days(userId: string): Promise<DayUsage[]> {
    const out: DayUsage[] = [];
    let start: Record<string, AttributeValue> | undefined;
    do {
      const res = await this.db.send(
        new QueryCommand({
          TableName: this.table,
          KeyConditionExpression: "userId = :u AND begins_with(sk, :p)",
          ExpressionAttributeValues: { ":u": { S: userId }, ":p": { S: DAY_PREFIX } },
          ExclusiveStartKey: start,
        }),
      );
      for (const item of (res.Items ?? []) as Record<string, AttributeValue>[]) {
        out.push({
          day: (item.sk?.S ?? "").slice(DAY_PREFIX.length),
          predictions: Number(item.predictions?.N ?? 0),
          failed: Number(item.failed?.N ?? 0),
          objects: Number(item.objects?.N ?? 0),
          lastAt: item.lastAt?.S ?? new Date(0).toISOString(),
          expiresAt: Number(item.expiresAt?.N ?? 0),
        });
      }
      start = res.LastEvaluatedKey;
    } while (start);
    return out;
  }

  async reachable(): Promise<boolean> {
    await this.db.send(new DescribeTableCommand({ TableName: this.table }));
    return true;
  }
}
