/**
 * polybot's logic, free of AWS and HTTP details so unit tests drive it with fakes:
 * the webhook (secret check, update dispatch) and the answer to a prediction event.
 */
import { randomUUID, timingSafeEqual } from "node:crypto";
import type { PredictionEvent, PredictionJob } from "../../lib/events";
import type { Request, Response } from "../../lib/http";
import type { Logger } from "../../lib/logger";

export const SECRET_HEADER = "x-telegram-bot-api-secret-token";

export const USAGE_TEXT =
  "Send me a photo and I will tell you which objects I see in it (people, animals, vehicles and 77 other kinds of things).";
export const PHOTO_ACCEPTED_TEXT = "Got it, looking at your photo...";
export const PHOTO_FAILED_TEXT = "Sorry, I could not take your photo. Please send it again.";
export const PREDICTION_FAILED_TEXT = "Sorry, I could not analyse that photo. Please try another one.";
export const NOTHING_FOUND_TEXT = "I did not recognise any objects in this photo.";

export interface BotDeps {
  readonly webhookPath: string;
  readonly webhookSecret: string;
  readonly logger: Logger;
  getFilePath(fileId: string): Promise<string>;
  downloadFile(filePath: string): Promise<Uint8Array>;
  putImage(key: string, bytes: Uint8Array): Promise<void>;
  sendJob(job: PredictionJob): Promise<void>;
  sendMessage(chatId: number, text: string, replyTo?: number): Promise<void>;
  readonly newId?: () => string;
  onJob?(): void;
}

interface PhotoSize {
  file_id: string;
  width: number;
  height: number;
  file_size?: number;
}

interface TelegramMessage {
  message_id: number;
  chat: { id: number };
  from?: { id: number };
  text?: string;
  photo?: PhotoSize[];
}

export function secretMatches(given: string | string[] | undefined, expected: string): boolean {
  if (typeof given !== "string") return false;
  const a = Buffer.from(given);
  const b = Buffer.from(expected);
  return a.length === b.length && timingSafeEqual(a, b);
}

/** The webhook route; undefined for any other path. */
export async function handleWebhook(req: Request, d: BotDeps): Promise<Response | undefined> {
  if (req.path !== d.webhookPath) return undefined;
  if (req.method !== "POST") return { status: 405, body: { error: "POST only" } };
  if (!secretMatches(req.headers[SECRET_HEADER], d.webhookSecret)) {
    d.logger.warn("webhook call without the secret token refused");
    return { status: 401, body: { error: "unauthorized" } };
  }
  let update: { update_id?: number; message?: TelegramMessage };
  try {
    update = JSON.parse(req.body.toString("utf8")) as typeof update;
  } catch {
    return { status: 400, body: { error: "not JSON" } };
  }
  const msg = update.message;
  if (!msg || typeof msg.chat?.id !== "number") return { status: 200, body: { ok: true } };
  await handleMessage(msg, d);
  // Always 200 once the secret matched: Telegram retries non-2xx answers, and a
  // failure was already told to the user.
  return { status: 200, body: { ok: true } };
}

async function handleMessage(msg: TelegramMessage, d: BotDeps): Promise<void> {
  const chatId = msg.chat.id;
  const log = d.logger.child({ updateMessageId: msg.message_id });
  if (Array.isArray(msg.photo) && msg.photo.length > 0) {
    const largest = msg.photo.reduce((a, b) => (b.width * b.height > a.width * a.height ? b : a));
    const jobId = (d.newId ?? randomUUID)();
    // The key names the job only: nothing in S3 points back to a user.
    const imageKey = `images/${jobId}.jpg`;
    try {
      const path = await d.getFilePath(largest.file_id);
      const bytes = await d.downloadFile(path);
      await d.putImage(imageKey, bytes);
      await d.sendJob({ jobId, chatId, userId: msg.from?.id ?? chatId, imageKey });
      d.onJob?.();
      log.info("prediction job queued", { jobId, bytes: bytes.length });
    } catch (e) {
      log.error("could not queue the photo", { jobId, error: e });
      await d.sendMessage(chatId, PHOTO_FAILED_TEXT, msg.message_id).catch((e2: unknown) => log.error("could not tell the user", { error: e2 }));
      return;
    }
    await d.sendMessage(chatId, PHOTO_ACCEPTED_TEXT, msg.message_id).catch((e: unknown) => log.warn("could not acknowledge the photo", { error: e }));
    return;
  }
  if (typeof msg.text === "string") {
    await d.sendMessage(chatId, USAGE_TEXT).catch((e: unknown) => log.warn("could not send the usage text", { error: e }));
  }
}

/** "2 × person, 1 × dog", most frequent first. */
export function formatDetections(event: Pick<PredictionEvent, "status" | "labels">): string {
  if (event.status === "failed") return PREDICTION_FAILED_TEXT;
  if (event.labels.length === 0) return NOTHING_FOUND_TEXT;
  const counts = new Map<string, number>();
  for (const l of event.labels) counts.set(l.label, (counts.get(l.label) ?? 0) + 1);
  const parts = [...counts.entries()]
    .sort((a, b) => b[1] - a[1] || a[0].localeCompare(b[0]))
    .map(([label, n]) => `${n} × ${label}`);
  return `I found: ${parts.join(", ")}`;
}

/** A prediction event from polybot's queue: answer the chat. Throws to have the event redelivered. */
export async function answerPrediction(event: PredictionEvent, d: Pick<BotDeps, "sendMessage" | "logger">): Promise<void> {
  await d.sendMessage(event.chatId, formatDetections(event));
  d.logger.info("answer sent", { jobId: event.jobId, predictionId: event.predictionId, status: event.status });
}
