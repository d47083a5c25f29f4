/**
 * polybot: the Telegram bot. Receives updates on its webhook (behind the TLS
 * ingress), stores photos in the images bucket, queues prediction jobs, and
 * answers chats from its own queue of prediction events.
 */
import { HeadBucketCommand, PutObjectCommand } from "@aws-sdk/client-s3";
import { GetQueueAttributesCommand, SendMessageCommand } from "@aws-sdk/client-sqs";
import { queueName, s3Client, sqsClient } from "../../lib/aws";
import { EnvReader, readCommon } from "../../lib/config";
import { parsePredictionEvent } from "../../lib/events";
import { Logger } from "../../lib/logger";
import { ServiceMetrics } from "../../lib/metrics";
import { fatal, Service } from "../../lib/service";
import { SqsConsumer } from "../../lib/sqs-consumer";
import { answerPrediction, BotDeps, handleWebhook } from "./bot";
import { readCertificate, Telegram } from "./telegram";

async function main(): Promise<void> {
  const logger = new Logger("polybot");
  try {
    const env = new EnvReader();
    // 30 s grace minus the 5 s preStop sleep: leave time to return messages and exit.
    const common = readCommon(env, 20);
    const cfg = {
      region: env.string("AWS_REGION"),
      token: env.string("TELEGRAM_TOKEN", { secret: true }),
      webhookSecret: env.string("TELEGRAM_WEBHOOK_SECRET", { secret: true }),
      appUrl: env.url("TELEGRAM_APP_URL"),
      webhookPath: env.string("TELEGRAM_WEBHOOK_PATH", { default: "/telegram/webhook" }),
      apiUrl: env.url("TELEGRAM_API_URL", { default: "https://api.telegram.org" }),
      certificateFile: env.optional("TELEGRAM_CERTIFICATE_FILE"),
      jobsQueueUrl: env.awsValue("JOBS_QUEUE_URL"),
      eventsQueueUrl: env.awsValue("POLYBOT_QUEUE_URL"),
      imagesBucket: env.awsValue("IMAGES_BUCKET"),
      maxPhotoBytes: env.int("MAX_PHOTO_BYTES", 20 * 1024 * 1024, 1024, 50 * 1024 * 1024),
      waitTimeSeconds: env.int("SQS_WAIT_TIME_SECONDS", 20, 0, 20),
    };
    env.done();
    logger.redact(cfg.token);
    logger.redact(cfg.webhookSecret);
    // Telegram allows 1-256 characters A-Z, a-z, 0-9, _ and -.
    if (!/^[A-Za-z0-9_-]{1,256}$/.test(cfg.webhookSecret)) {
      throw new Error("TELEGRAM_WEBHOOK_SECRET: allowed: 1-256 characters of A-Z, a-z, 0-9, _ and - (Telegram's secret_token rule)");
    }
    const certificatePem = cfg.certificateFile ? readCertificate(cfg.certificateFile) : undefined;

    const metrics = new ServiceMetrics("polybot", { processMetrics: true });
    const jobs = metrics.counter("od_jobs_sent_total", "Prediction jobs queued.");
    const answers = metrics.counter("od_answers_sent_total", "Prediction answers sent, by status.", ["status"]);

    const sqs = sqsClient(cfg.region);
    const s3 = s3Client(cfg.region);
    const telegram = new Telegram({ apiUrl: cfg.apiUrl, token: cfg.token });
    const deps: BotDeps = {
      webhookPath: cfg.webhookPath,
      webhookSecret: cfg.webhookSecret,
      logger,
      getFilePath: (id) => telegram.getFilePath(id),
      downloadFile: (path) => telegram.downloadFile(path, cfg.maxPhotoBytes),
      async putImage(key, bytes) {
        await s3.send(new PutObjectCommand({ Bucket: cfg.imagesBucket, Key: key, Body: bytes, ContentType: "image/jpeg" }));
      },
      async sendJob(job) {
        await sqs.send(new SendMessageCommand({ QueueUrl: cfg.jobsQueueUrl, MessageBody: JSON.stringify(job) }));
      },
      sendMessage: (chatId, text, replyTo) => telegram.sendMessage(chatId, text, replyTo),
      onJob: () => jobs.inc(),
    };

    const consumer = new SqsConsumer({
      sqs,
      queueUrl: cfg.eventsQueueUrl,
      queueName: queueName(cfg.eventsQueueUrl),
      waitTimeSeconds: cfg.waitTimeSeconds,
      logger,
      metrics,
      handler: async (m) => {
        const event = parsePredictionEvent(m.Body);
        await answerPrediction(event, deps);
        answers.inc({ status: event.status });
      },
    });

    const service = new Service({
      name: "polybot",
      logger,
      metrics,
      port: common.port,
      shutdownTimeoutSeconds: common.shutdownTimeoutSeconds,
      consumers: [consumer],
      routes: (req) => handleWebhook(req, deps),
      ready: async () => {
        try {
          await s3.send(new HeadBucketCommand({ Bucket: cfg.imagesBucket }));
          await sqs.send(new GetQueueAttributesCommand({ QueueUrl: cfg.jobsQueueUrl, AttributeNames: ["QueueArn"] }));
          return true;
        } catch (e) {
          logger.warn("images bucket or jobs queue not reachable", { error: e });
          return false;
        }
      },
      afterStart: async () => {
        // In the background: Telegram being unreachable must not keep the pod from serving.
        void registerWebhook(telegram, logger, {
          url: cfg.appUrl.replace(/\/$/, "") + cfg.webhookPath,
          secretToken: cfg.webhookSecret,
          certificatePem,
        });
      },
    });
    await service.start();
  } catch (e) {
    fatal(logger, e);
  }
}

async function registerWebhook(telegram: Telegram, logger: Logger, r: Parameters<Telegram["setWebhook"]>[0]): Promise<void> {
  for (let attempt = 1; ; attempt++) {
    try {
      await telegram.setWebhook(r);
      logger.info("webhook registered", { url: r.url, selfSignedCertificate: r.certificatePem !== undefined });
      return;
    } catch (e) {
      const delayMs = Math.min(60_000, 1000 * 2 ** Math.min(attempt, 6));
      logger.error("webhook registration failed; retrying", { attempt, delayMs, error: e });
      await new Promise((resolve) => setTimeout(resolve, delayMs).unref());
    }
  }
}

void main();
