/**
 * The object-detection event flow, end to end on loopback: polybot, yolo5,
 * metering and model-analyzer as real processes (their own code, the chart's
 * environment) against moto (S3, SQS, SNS with the platform's topic->queue
 * subscriptions and queue policies, DynamoDB) and a fake Telegram Bot API.
 *
 * yolo5 runs the real ONNX Runtime on a stand-in model generated here with the
 * `onnx` package: the official model's input and output shapes, with rows
 * placed by hand, so decoding, letterboxing, confidence filtering, NMS and box
 * scaling all run and their result is known exactly.
 *
 * Not emulated: DynamoDB deleting expired items (moto keeps them; AWS deletes
 * within days). The services hide expired entries on read, which is what the
 * retention step checks, and the items' TTL attributes are checked here too.
 */
import { DescribeTimeToLiveCommand, ScanCommand } from "@aws-sdk/client-dynamodb";
import { GetBucketLifecycleConfigurationCommand, GetObjectCommand } from "@aws-sdk/client-s3";
import { PublishCommand } from "@aws-sdk/client-sns";
import { GetQueueAttributesCommand, ReceiveMessageCommand } from "@aws-sdk/client-sqs";
import { execFileSync } from "node:child_process";
import * as fs from "node:fs";
import * as http from "node:http";
import * as os from "node:os";
import * as path from "node:path";
import * as jpeg from "jpeg-js";
import { AppResources, clients, createAppResources, REGION } from "./object-detection/aws-setup";
import { objectDetectionPods, PodSpecFacts } from "./object-detection/chart";
import { FakeTelegram } from "./object-detection/fake-telegram";
import { get, metricValue, request, RunningService, ServiceName, startService } from "./object-detection/services";
import { ServerProcess, freePort, startProcess, waitUntil } from "./processes";
import { tool } from "./tool-paths";

jest.setTimeout(120_000);

const TOKEN = "123456789:AAtest-token-value-for-the-fake-api";
const WEBHOOK_SECRET = "webhook-secret-token-of-the-test";
const USER_ID = 424242001;
const CHAT_ID = 515151002;
const MODEL_VERSION = "1.0.0";

/** A stand-in for the self-signed issuer's certificate in the Ingress's Secret (polybot uploads it as is). */
const WEBHOOK_CERT_PEM = "-----BEGIN CERTIFICATE-----\nTUlJQnRlc3QtY2VydGlmaWNhdGU=\n-----END CERTIFICATE-----\n";

let dir: string;
let moto: ServerProcess;
let aws: ReturnType<typeof clients>;
let res: AppResources;
let telegram: FakeTelegram;
let pods: Map<string, PodSpecFacts>;
let modelPath: string;
const running = new Map<ServiceName, RunningService>();
const photo = solidJpeg(320, 160);

function solidJpeg(width: number, height: number): Buffer {
  const data = Buffer.alloc(width * height * 4, 180);
  return Buffer.from(jpeg.encode({ data, width, height }, 90).data);
}

/** The chart's environment for a pod, with the synth placeholders and Secret references filled in. */
function envFor(name: ServiceName, extra: Record<string, string> = {}): Record<string, string> {
  const pod = pods.get(name);
  if (!pod) throw new Error(`the chart has no Deployment ${name}`);
  const real: Record<string, string> = {
    AWS_REGION: REGION,
    AWS_DEFAULT_REGION: REGION,
    JOBS_QUEUE_URL: res.jobsQueueUrl,
    PREDICTION_EVENTS_TOPIC_ARN: res.topicArn,
    METERING_QUEUE_URL: res.meteringQueueUrl,
    MODEL_ANALYZER_QUEUE_URL: res.modelAnalyzerQueueUrl,
    POLYBOT_QUEUE_URL: res.polybotQueueUrl,
    IMAGES_BUCKET: res.imagesBucket,
    METERING_TABLE: res.meteringTable,
    MODEL_ANALYZER_TABLE: res.modelAnalyzerTable,
  };
  const env: Record<string, string> = {};
  for (const [k, v] of Object.entries({ ...pod.configMapEnv, ...pod.env })) {
    if (!v.startsWith("SET-BY-PULUMI")) env[k] = v;
    else if (real[k] !== undefined) env[k] = real[k];
    else throw new Error(`${name}: no test value for the ConfigMap key ${k}`);
  }
  const secrets: Record<string, string> = {
    "polybot-telegram/token": TOKEN,
    "polybot-telegram/webhook-secret": WEBHOOK_SECRET,
    "polybot-tls/tls.crt": WEBHOOK_CERT_PEM,
  };
  for (const [k, ref] of Object.entries(pod.secretEnv)) {
    const v = secrets[`${ref.name}/${ref.key}`];
    if (v === undefined) throw new Error(`${name}: no test value for Secret ${ref.name} key ${ref.key}`);
    env[k] = v;
  }
  // Secret volumes become files under the test's folder; variables naming them follow.
  for (const [mountPath, mount] of Object.entries(pod.secretMounts)) {
    const local = path.join(dir, "mounts", name, mountPath);
    fs.mkdirSync(local, { recursive: true });
    for (const key of mount.keys) {
      const v = secrets[`${mount.secretName}/${key}`];
      if (v === undefined) throw new Error(`${name}: no test value for Secret ${mount.secretName} key ${key} mounted at ${mountPath}`);
      fs.writeFileSync(path.join(local, key), v);
    }
    for (const [k, v] of Object.entries(env)) if (v.startsWith(`${mountPath}/`)) env[k] = path.join(local, v.slice(mountPath.length + 1));
  }
  return {
    ...env,
    // The emulator instead of AWS (read by the SDK itself) and its dummy credentials.
    AWS_ENDPOINT_URL: `http://127.0.0.1:${motoPort}`,
    AWS_ACCESS_KEY_ID: "AKIAIOSFODNN7EXAMPLE",
    AWS_SECRET_ACCESS_KEY: "wJalrXUtnFEMI/K7MDENG/bPxRfiCYEXAMPLEKEY",
    AWS_EC2_METADATA_DISABLED: "true",
    // Short polls keep the test quick; shutdown aborts a poll anyway.
    SQS_WAIT_TIME_SECONDS: "1",
    SHUTDOWN_TIMEOUT_SECONDS: "5",
    ...extra,
  };
}

let motoPort = 0;

async function start(name: ServiceName, extra: Record<string, string> = {}): Promise<RunningService> {
  const svc = await startService(name, envFor(name, extra), dir);
  running.set(name, svc);
  return svc;
}

async function stop(name: ServiceName): Promise<number | null> {
  const svc = running.get(name);
  if (!svc) throw new Error(`${name} is not running`);
  running.delete(name);
  svc.process.child.kill("SIGTERM");
  const timer = setTimeout(() => svc.process.child.kill("SIGKILL"), 20_000);
  const code = await svc.exited;
  clearTimeout(timer);
  return code;
}

async function eventually<T>(what: string, probe: () => Promise<T | undefined>, timeoutMs = 30_000): Promise<T> {
  const deadline = Date.now() + timeoutMs;
  for (;;) {
    const v = await probe();
    if (v !== undefined) return v;
    if (Date.now() > deadline) {
      const logs = [...running.values()].map((s) => `--- ${s.name}\n${s.process.logTail(15)}`).join("\n");
      throw new Error(`timed out waiting for ${what}\n${logs}`);
    }
    await new Promise((r) => setTimeout(r, 250));
  }
}

function update(updateId: number, message: Record<string, unknown>): string {
  return JSON.stringify({
    update_id: updateId,
    message: { message_id: updateId, date: 1_700_000_000, chat: { id: CHAT_ID, type: "private" }, from: { id: USER_ID, is_bot: false, first_name: "T" }, ...message },
  });
}

function postUpdate(body: string, secret: string | null = WEBHOOK_SECRET) {
  const polybot = running.get("polybot");
  if (!polybot) throw new Error("polybot is not running");
  const webhookPath = pods.get("polybot")?.env.TELEGRAM_WEBHOOK_PATH ?? "";
  return request("POST", polybot.url + webhookPath, body, secret ? { "x-telegram-bot-api-secret-token": secret } : {});
}

beforeAll(async () => {
  dir = fs.mkdtempSync(path.join(os.tmpdir(), "od-flow-"));
  pods = objectDetectionPods();
  modelPath = path.join(dir, "model.onnx");
  execFileSync(tool("PYTHON_TOOLS"), [path.join(__dirname, "object-detection", "make-test-model.py"), modelPath], { stdio: "pipe" });

  motoPort = await freePort();
  moto = startProcess("moto_server", tool("MOTO_SERVER"), ["-H", "127.0.0.1", "-p", String(motoPort)], path.join(dir, "moto.log"));
  await waitUntil(moto, "moto answers HTTP", () => answers(`http://127.0.0.1:${motoPort}/moto-api/`), 60_000);
  aws = clients(`http://127.0.0.1:${motoPort}`);
  res = await createAppResources(aws);
  telegram = await FakeTelegram.start(TOKEN);
  telegram.files.set("photo-small", solidJpeg(90, 45));
  telegram.files.set("photo-large", photo);
  telegram.files.set("not-a-jpeg", Buffer.from("GIF89a, not what the bot expects"));

  const telegramEnv = { TELEGRAM_API_URL: telegram.url };
  await Promise.all([start("polybot", telegramEnv), start("metering"), start("model-analyzer")]);
});

afterAll(async () => {
  for (const svc of running.values()) await svc.process.stop(5000);
  await telegram?.stop();
  await moto?.stop();
});

function answers(url: string): Promise<boolean> {
  return new Promise((resolve) => {
    const req = http.get(url, (r) => {
      r.resume();
      resolve(true);
    });
    req.on("error", () => resolve(false));
    req.setTimeout(2000, () => req.destroy());
  });
}

describe("object detection, from a Telegram photo to the answer, usage and model statistics", () => {
  test("polybot registers its webhook at start-up: the chart's public URL, the secret token and (self-signed issuer, the default) the mounted certificate", async () => {
    const call = await eventually("setWebhook", async () => telegram.webhooks[0]);
    const pod = pods.get("polybot");
    expect(pod?.env.TELEGRAM_CERTIFICATE_FILE).toBeDefined();
    // Telegram's webhook guide: multipart, with the certificate as a file.
    expect(call.contentType).toMatch(/^multipart\/form-data/);
    expect(call.body).toContain(`${pod?.env.TELEGRAM_APP_URL}${pod?.env.TELEGRAM_WEBHOOK_PATH}`);
    expect(call.body).toContain(WEBHOOK_SECRET);
    expect(call.body).toContain('name="certificate"');
    expect(call.body).toContain(WEBHOOK_CERT_PEM.trim());
    expect(telegram.badToken).toEqual([]);
  });

  test("an update without the webhook secret header, or with a wrong one, is refused and queues nothing", async () => {
    const body = update(1, { photo: [{ file_id: "photo-large", file_unique_id: "x", width: 320, height: 160 }] });
    expect((await postUpdate(body, null)).status).toBe(401);
    expect((await postUpdate(body, "wrong-secret-of-same-size-12345")).status).toBe(401);
    const attrs = await aws.sqs.send(new GetQueueAttributesCommand({ QueueUrl: res.jobsQueueUrl, AttributeNames: ["ApproximateNumberOfMessages"] }));
    expect(attrs.Attributes?.ApproximateNumberOfMessages).toBe("0");
  });

  let job: { jobId: string; chatId: number; userId: number; imageKey: string };

  test("a photo update stores the largest size in the images bucket and puts a job on the jobs queue", async () => {
    const r = await postUpdate(
      update(2, {
        photo: [
          { file_id: "photo-small", file_unique_id: "s", width: 90, height: 45 },
          { file_id: "photo-large", file_unique_id: "l", width: 320, height: 160 },
        ],
      }),
    );
    expect(r.status).toBe(200);
    // Peek: visibility 0 leaves the job for yolo5.
    const got = await aws.sqs.send(new ReceiveMessageCommand({ QueueUrl: res.jobsQueueUrl, VisibilityTimeout: 0, WaitTimeSeconds: 2 }));
    expect(got.Messages).toHaveLength(1);
    job = JSON.parse(got.Messages?.[0].Body ?? "{}");
    expect(Object.keys(job).sort()).toEqual(["chatId", "imageKey", "jobId", "userId"]);
    expect(job).toMatchObject({ chatId: CHAT_ID, userId: USER_ID });
    expect(job.imageKey).toBe(`images/${job.jobId}.jpg`);
    const obj = await aws.s3.send(new GetObjectCommand({ Bucket: res.imagesBucket, Key: job.imageKey }));
    expect(Buffer.from(await obj.Body!.transformToByteArray()).equals(photo)).toBe(true);
    expect(telegram.sent).toContainEqual({ chatId: CHAT_ID, text: expect.stringMatching(/looking at your photo/) });
  });

  let event: Record<string, unknown>;

  test("yolo5 predicts with ONNX Runtime and publishes one event, fanned out to polybot, metering and model-analyzer", async () => {
    await start("yolo5", { MODEL_PATH: modelPath });
    const spied = await eventually("the event on the spy queue", async () => {
      const r = await aws.sqs.send(new ReceiveMessageCommand({ QueueUrl: res.spyQueueUrl, WaitTimeSeconds: 1 }));
      return r.Messages?.[0];
    });
    event = JSON.parse(spied.Body ?? "{}");
    expect(Object.keys(event).sort()).toEqual(["at", "chatId", "durationMs", "jobId", "labels", "modelVersion", "predictionId", "status", "userId"]);
    expect(event).toMatchObject({ jobId: job.jobId, chatId: CHAT_ID, userId: USER_ID, modelVersion: MODEL_VERSION, status: "ok" });
    // The stand-in model's rows, through NMS and the letterbox of a 320x160 image (gain 2, 160 px of padding on top).
    expect(event.labels).toEqual([
      { label: "person", confidence: 0.855, box: { x1: 135, y1: 30, x2: 185, y2: 130 } },
      { label: "dog", confidence: 0.63, box: { x1: 30, y1: 105, x2: 70, y2: 135 } },
      { label: "person", confidence: 0.48, box: { x1: 237.5, y1: 45, x2: 262.5, y2: 95 } },
    ]);

    const answer = await eventually("the answer in the chat", async () => telegram.sent.find((m) => m.text.startsWith("I found")));
    expect(answer).toEqual({ chatId: CHAT_ID, text: "I found: 2 × person, 1 × dog" });

    for (const [name, queueUrl] of [
      ["polybot", res.polybotQueueUrl],
      ["metering", res.meteringQueueUrl],
      ["model-analyzer", res.modelAnalyzerQueueUrl],
    ] as const) {
      const queue = queueUrl.split("/").pop() ?? "";
      await eventually(`${name} to process the event`, async () => {
        const m = await get(`${running.get(name)?.url}/metrics`);
        return metricValue(m.body, "od_messages_processed_total", { queue }) === 1 ? true : undefined;
      });
    }
    const y = await get(`${running.get("yolo5")?.url}/metrics`);
    expect(metricValue(y.body, "od_predictions_total", { model_version: MODEL_VERSION, status: "ok" })).toBe(1);
  });

  test("metering counts the prediction for the user, once even when the event is delivered twice", async () => {
    const url = `${running.get("metering")?.url}/usage/${USER_ID}`;
    const usage = await eventually("usage", async () => {
      const r = JSON.parse((await get(url)).body);
      return r.total?.predictions === 1 ? r : undefined;
    });
    expect(usage).toMatchObject({ userId: String(USER_ID), days: [{ day: String(event.at).slice(0, 10), predictions: 1, failed: 0, objects: 3 }] });

    await aws.sns.send(new PublishCommand({ TopicArn: res.topicArn, Message: JSON.stringify(event) }));
    await eventually("metering to see the duplicate", async () => {
      const m = await get(`${running.get("metering")?.url}/metrics`);
      return metricValue(m.body, "od_usage_recorded_total", { result: "duplicate" }) === 1 ? true : undefined;
    });
    expect(JSON.parse((await get(url)).body).total).toEqual({ predictions: 1, failed: 0, objects: 3 });
    expect(JSON.parse((await get(`${running.get("metering")?.url}/usage/99`)).body).days).toEqual([]);
  });

  test("model-analyzer's statistics cover the model version and hold no user data", async () => {
    const base = `${running.get("model-analyzer")?.url}/summary`;
    const summary = await eventually("the model summary", async () => {
      const r = JSON.parse((await get(`${base}/${MODEL_VERSION}`)).body);
      // The duplicate of the previous test counts twice here (no prediction id may be stored to dedupe).
      return r.predictions === 2 ? r : undefined;
    });
    expect(summary).toMatchObject({
      modelVersion: MODEL_VERSION,
      failed: 0,
      objects: 6,
      labels: [
        { label: "person", count: 4 },
        { label: "dog", count: 2 },
      ],
      confidenceHistogram: [0, 0, 0, 0, 2, 0, 2, 0, 2, 0],
    });
    const items = await aws.dynamo.send(new ScanCommand({ TableName: res.modelAnalyzerTable }));
    const stored = JSON.stringify(items.Items);
    for (const forbidden of [String(USER_ID), String(CHAT_ID), job.jobId, job.imageKey, String(event.predictionId), String(event.at)]) {
      expect(stored).not.toContain(forbidden);
    }
  });

  test("a text message gets the usage text; a photo that is not an image gets a clear failure answer", async () => {
    expect((await postUpdate(update(3, { text: "hello" }))).status).toBe(200);
    expect(telegram.sent).toContainEqual({ chatId: CHAT_ID, text: expect.stringMatching(/^Send me a photo/) });

    expect((await postUpdate(update(4, { photo: [{ file_id: "not-a-jpeg", file_unique_id: "n", width: 10, height: 10 }] }))).status).toBe(200);
    await eventually("the failure answer", async () => telegram.sent.find((m) => m.text.startsWith("Sorry, I could not analyse")));
    const failed = await eventually("the failed event on the spy queue", async () => {
      const r = await aws.sqs.send(new ReceiveMessageCommand({ QueueUrl: res.spyQueueUrl, WaitTimeSeconds: 1 }));
      const e = r.Messages?.map((m) => JSON.parse(m.Body ?? "{}")).find((x) => x.status === "failed");
      return e;
    });
    expect(failed).toMatchObject({ status: "failed", labels: [], userId: USER_ID, error: expect.stringMatching(/not a readable JPEG/) });
    // Handled, not retried: nothing waits in the dead-letter queue.
    const dlq = await aws.sqs.send(new GetQueueAttributesCommand({ QueueUrl: res.jobsDlqUrl, AttributeNames: ["ApproximateNumberOfMessages"] }));
    expect(dlq.Attributes?.ApproximateNumberOfMessages).toBe("0");
  });

  test("SIGTERM: every service drains and exits 0, and no log line carries the bot token or webhook secret", async () => {
    for (const name of ["yolo5", "polybot", "metering", "model-analyzer"] as const) {
      const log = running.get(name)?.process.logFile ?? "";
      expect(await stop(name)).toBe(0);
      const text = fs.readFileSync(log, "utf8");
      expect(text).toMatch(/"msg":"stopped"/);
      expect(text).not.toContain(TOKEN);
      expect(text).not.toContain(WEBHOOK_SECRET);
      // Node's own warnings (stderr, in the same file here) are not ours; every line the service writes is JSON.
      const ours = text.split("\n").filter((l) => l.startsWith("{"));
      expect(ours.length).toBeGreaterThanOrEqual(2);
      for (const line of ours) expect(() => JSON.parse(line)).not.toThrow();
    }
  });

  test("retention: entries older than the configured retention are gone from usage and statistics; the stores' TTL is set", async () => {
    // The items were written with the default retentions (30 and 14 days): their TTL attribute says so.
    const at = Math.floor(Date.parse(String(event.at)) / 1000);
    const now = Math.floor(Date.now() / 1000);
    const marker = (await aws.dynamo.send(new ScanCommand({ TableName: res.meteringTable }))).Items?.find(
      (i) => i.sk?.S === `event#${String(event.predictionId)}`,
    );
    expect(Number(marker?.expiresAt?.N)).toBe(at + 30 * 86400);
    for (const [table, days] of [
      [res.meteringTable, 30],
      [res.modelAnalyzerTable, 14],
    ] as const) {
      const items = (await aws.dynamo.send(new ScanCommand({ TableName: table }))).Items ?? [];
      expect(items.length).toBeGreaterThan(0);
      for (const i of items) {
        expect(Number(i.expiresAt?.N)).toBeGreaterThan(at - 60 + days * 86400);
        expect(Number(i.expiresAt?.N)).toBeLessThanOrEqual(now + days * 86400);
      }
    }
    for (const table of [res.meteringTable, res.modelAnalyzerTable]) {
      const ttl = await aws.dynamo.send(new DescribeTimeToLiveCommand({ TableName: table }));
      expect(ttl.TimeToLiveDescription).toMatchObject({ AttributeName: "expiresAt", TimeToLiveStatus: "ENABLED" });
    }
    const lifecycle = await aws.s3.send(new GetBucketLifecycleConfigurationCommand({ Bucket: res.imagesBucket }));
    expect(lifecycle.Rules?.[0]).toMatchObject({ Status: "Enabled", Expiration: { Days: 1 } });

    // Time moves through configuration: the same data seen by services whose retention is one second.
    const metering = await start("metering", { METERING_RETENTION_SECONDS: "1" });
    const analyzer = await start("model-analyzer", { MODEL_ANALYZER_RETENTION_SECONDS: "1" });
    await eventually("usage to expire", async () => {
      const r = JSON.parse((await get(`${metering.url}/usage/${USER_ID}`)).body);
      return r.days.length === 0 && r.total.predictions === 0 ? true : undefined;
    }, 15_000);
    const summary = JSON.parse((await get(`${analyzer.url}/summary`)).body);
    expect(summary).toEqual({ retentionSeconds: 1, models: [] });
    expect((await get(`${analyzer.url}/summary/${MODEL_VERSION}`)).status).toBe(404);
  });
});
