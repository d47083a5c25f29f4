/**
 * metering: counts predictions and detected objects per Telegram user and day
 * from its copy of the prediction events; `GET /usage/{userId}` inside the cluster.
 */
import { dynamoClient, queueName, sqsClient } from "../../lib/aws";
import { EnvReader, readCommon } from "../../lib/config";
import { parsePredictionEvent } from "../../lib/events";
import { Logger } from "../../lib/logger";
import { ServiceMetrics } from "../../lib/metrics";
import { fatal, Service } from "../../lib/service";
import { SqsConsumer } from "../../lib/sqs-consumer";
import { MeteringStore } from "./store";
import { report, usageUpdate } from "./usage";

const USAGE_PATH = /^\/usage\/(\d{1,20})$/;

async function main(): Promise<void> {
  const logger = new Logger("metering");
  try {
    const env = new EnvReader();
    const common = readCommon(env, 20);
    const cfg = {
      region: env.string("AWS_REGION"),
      queueUrl: env.awsValue("METERING_QUEUE_URL"),
      table: env.awsValue("METERING_TABLE"),
      // 30 days: a month of usage per user is what quotas and billing need; nothing older is kept.
      retentionSeconds: env.int("METERING_RETENTION_SECONDS", 30 * 86400, 1, 365 * 86400),
      concurrency: env.int("CONCURRENCY", 4, 1, 64),
      waitTimeSeconds: env.int("SQS_WAIT_TIME_SECONDS", 20, 0, 20),
    };
    env.done();

    const metrics = new ServiceMetrics("metering", { processMetrics: true });
    const counted = metrics.counter("od_usage_recorded_total", "Prediction events counted, by result.", ["result"]);
    const store = new MeteringStore(dynamoClient(cfg.region), cfg.table);

    const consumer = new SqsConsumer({
      sqs: sqsClient(cfg.region),
      queueUrl: cfg.queueUrl,
      queueName: queueName(cfg.queueUrl),
      concurrency: cfg.concurrency,
      waitTimeSeconds: cfg.waitTimeSeconds,
      logger,
      metrics,
      handler: async (m) => {
        const result = await store.record(usageUpdate(parsePredictionEvent(m.Body), cfg.retentionSeconds));
        counted.inc({ result });
      },
    });
    const service = new Service({
      name: "metering",
      logger,
      metrics,
      port: common.port,
      shutdownTimeoutSeconds: common.shutdownTimeoutSeconds,
      consumers: [consumer],
      ready: () =>
        store.reachable().catch((e: unknown) => {
          logger.warn("table not reachable", { error: e });
          return false;
        }),
      routes: async (req) => {
        const m = USAGE_PATH.exec(req.path);
        if (!m) return undefined;
        if (req.method !== "GET") return { status: 405, body: { error: "GET only" } };
        return { status: 200, body: report(m[1], await store.days(m[1]), cfg.retentionSeconds, new Date()) };
      },
    });
    await service.start();
  } catch (e) {
    fatal(logger, e);
  }
}

void main();
