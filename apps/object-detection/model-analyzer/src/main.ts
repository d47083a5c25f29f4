/**
 * model-analyzer: per-model-version statistics (label frequencies, confidence
 * distribution, latency) from its copy of the prediction events, with no user
 * data; `GET /summary` and `GET /summary/{modelVersion}` inside the cluster.
 */
import { dynamoClient, queueName, sqsClient } from "../../lib/aws";
import { EnvReader, readCommon } from "../../lib/config";
import { parsePredictionEvent } from "../../lib/events";
import { Logger } from "../../lib/logger";
import { ServiceMetrics } from "../../lib/metrics";
import { fatal, Service } from "../../lib/service";
import { SqsConsumer } from "../../lib/sqs-consumer";
import { summarise, toModelStats } from "./stats";
import { ModelStatsStore } from "./store";

async function main(): Promise<void> {
  const logger = new Logger("model-analyzer");
  try {
    const env = new EnvReader();
    const common = readCommon(env, 20);
    const cfg = {
      region: env.string("AWS_REGION"),
      queueUrl: env.awsValue("MODEL_ANALYZER_QUEUE_URL"),
      table: env.awsValue("MODEL_ANALYZER_TABLE"),
      // 14 days: enough to compare a model version with the one before it after a rollout.
      retentionSeconds: env.int("MODEL_ANALYZER_RETENTION_SECONDS", 14 * 86400, 1, 365 * 86400),
      concurrency: env.int("CONCURRENCY", 4, 1, 64),
      waitTimeSeconds: env.int("SQS_WAIT_TIME_SECONDS", 20, 0, 20),
    };
    env.done();

    const metrics = new ServiceMetrics("model-analyzer", { processMetrics: true });
    const events = metrics.counter("od_model_events_total", "Prediction events aggregated, by model version and status.", ["model_version", "status"]);
    const store = new ModelStatsStore(dynamoClient(cfg.region), cfg.table);

    const consumer = new SqsConsumer({
      sqs: sqsClient(cfg.region),
      queueUrl: cfg.queueUrl,
      queueName: queueName(cfg.queueUrl),
      concurrency: cfg.concurrency,
      waitTimeSeconds: cfg.waitTimeSeconds,
      logger,
      metrics,
      handler: async (m) => {
        const event = parsePredictionEvent(m.Body);
        await store.add(toModelStats(event, cfg.retentionSeconds));
        events.inc({ model_version: event.modelVersion, status: event.status });
      },
    });
    const service = new Service({
      name: "model-analyzer",
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
        if (req.path !== "/summary" && !req.path.startsWith("/summary/")) return undefined;
        if (req.method !== "GET") return { status: 405, body: { error: "GET only" } };
        const all = summarise(await store.all(), cfg.retentionSeconds, new Date());
        if (req.path === "/summary") return { status: 200, body: { retentionSeconds: cfg.retentionSeconds, models: all } };
        const version = decodeURIComponent(req.path.slice("/summary/".length));
        const one = all.find((s) => s.modelVersion === version);
        return one ? { status: 200, body: one } : { status: 404, body: { error: "no statistics for this model version" } };
      },
    });
    await service.start();
  } catch (e) {
    fatal(logger, e);
  }
}

void main();
