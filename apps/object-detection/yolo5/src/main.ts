/**
 * yolo5: consumes prediction jobs, runs YOLOv5 with ONNX Runtime on CPU and
 * publishes one prediction event per job. CPU-bound: one job at a time per pod
 * by default, and the HPA adds pods.
 */
import { GetObjectCommand, HeadBucketCommand, NoSuchKey } from "@aws-sdk/client-s3";
import { PublishCommand } from "@aws-sdk/client-sns";
import { queueName, s3Client, snsClient, sqsClient } from "../../lib/aws";
import { EnvReader, readCommon } from "../../lib/config";
import { Logger } from "../../lib/logger";
import { ServiceMetrics } from "../../lib/metrics";
import { fatal, Service } from "../../lib/service";
import { SqsConsumer } from "../../lib/sqs-consumer";
import { COCO_LABELS } from "./coco";
import { Detector } from "./detector";
import { handleJob, ImageNotFound, JobDeps } from "./handler";
import type { RgbaImage } from "./preprocess";

class ImageTooLarge extends Error {
  constructor(bytes: number) {
    super(`image of ${bytes} bytes is larger than allowed`);
    this.name = "ImageTooLarge";
  }
}

async function main(): Promise<void> {
  const logger = new Logger("yolo5");
  try {
    const env = new EnvReader();
    // The pod gets 60 s of grace: leave time to return messages and exit.
    const common = readCommon(env, 45);
    const cfg = {
      region: env.string("AWS_REGION"),
      jobsQueueUrl: env.awsValue("JOBS_QUEUE_URL"),
      topicArn: env.awsValue("PREDICTION_EVENTS_TOPIC_ARN"),
      imagesBucket: env.awsValue("IMAGES_BUCKET"),
      modelVersion: env.string("MODEL_VERSION"),
      modelPath: env.string("MODEL_PATH", { default: "/app/model/yolov5s.onnx" }),
      concurrency: env.int("CONCURRENCY", 1, 1, 16),
      threads: env.int("INFERENCE_THREADS", 1, 1, 64),
      confidenceThreshold: env.number("CONFIDENCE_THRESHOLD", 0.25, 0, 1),
      iouThreshold: env.number("IOU_THRESHOLD", 0.45, 0, 1),
      maxImageBytes: env.int("MAX_IMAGE_BYTES", 20 * 1024 * 1024, 1024, 100 * 1024 * 1024),
      waitTimeSeconds: env.int("SQS_WAIT_TIME_SECONDS", 20, 0, 20),
    };
    env.done();

    const metrics = new ServiceMetrics("yolo5", { processMetrics: true });
    const predictions = metrics.counter("od_predictions_total", "Predictions published, by model version and status.", ["model_version", "status"]);
    const objects = metrics.counter("od_objects_detected_total", "Objects detected, by label.", ["label"]);
    const inference = metrics.histogram("od_prediction_seconds", "Time from job receipt to published event.", [0.1, 0.25, 0.5, 1, 2, 4, 8, 16, 32]);

    const started = Date.now();
    const detector = await Detector.load(cfg.modelPath, {
      labels: COCO_LABELS,
      threads: cfg.threads,
      confidenceThreshold: cfg.confidenceThreshold,
      iouThreshold: cfg.iouThreshold,
      maxDetections: 300,
      maxMegapixels: 40,
    });
    logger.info("model loaded", { modelPath: cfg.modelPath, modelVersion: cfg.modelVersion, inputSize: detector.inputSize, ms: Date.now() - started });

    const sqs = sqsClient(cfg.region);
    const s3 = s3Client(cfg.region);
    const sns = snsClient(cfg.region);
    const deps: JobDeps = {
      modelVersion: cfg.modelVersion,
      logger,
      async getImage(key: string, signal: AbortSignal): Promise<Uint8Array> {
        try {
          const out = await s3.send(new GetObjectCommand({ Bucket: cfg.imagesBucket, Key: key }), { abortSignal: signal });
          if ((out.ContentLength ?? 0) > cfg.maxImageBytes) throw new ImageTooLarge(out.ContentLength ?? 0);
          if (!out.Body) throw new ImageNotFound();
          return await out.Body.transformToByteArray();
        } catch (e) {
          if (e instanceof NoSuchKey || (e instanceof Error && e.name === "NoSuchKey")) throw new ImageNotFound();
          throw e;
        }
      },
      decode: (bytes: Uint8Array) => detector.decode(bytes),
      detect: (img: RgbaImage) => detector.detect(img),
      async publish(event) {
        await sns.send(new PublishCommand({ TopicArn: cfg.topicArn, Message: JSON.stringify(event) }));
      },
      onPrediction(event) {
        predictions.inc({ model_version: event.modelVersion, status: event.status });
        for (const l of event.labels) objects.inc({ label: l.label });
        inference.observe(event.durationMs / 1000);
      },
    };

    const consumer = new SqsConsumer({
      sqs,
      queueUrl: cfg.jobsQueueUrl,
      queueName: queueName(cfg.jobsQueueUrl),
      concurrency: cfg.concurrency,
      waitTimeSeconds: cfg.waitTimeSeconds,
      logger,
      metrics,
      handler: async (m, signal) => {
        await handleJob(m.Body, signal, deps);
      },
    });
    const service = new Service({
      name: "yolo5",
      logger,
      metrics,
      port: common.port,
      shutdownTimeoutSeconds: common.shutdownTimeoutSeconds,
      consumers: [consumer],
      ready: async () => {
        try {
          await s3.send(new HeadBucketCommand({ Bucket: cfg.imagesBucket }));
          return true;
        } catch (e) {
          logger.warn("images bucket not reachable", { error: e });
          return false;
        }
      },
      onStop: async () => {
        await detector.close();
      },
    });
    await service.start();
  } catch (e) {
    fatal(logger, e);
  }
}

void main();
