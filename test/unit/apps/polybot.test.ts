import type { PredictionJob } from "../../../apps/object-detection/lib/events";
import {
  answerPrediction,
  BotDeps,
  formatDetections,
  handleWebhook,
  NOTHING_FOUND_TEXT,
  PHOTO_FAILED_TEXT,
  PREDICTION_FAILED_TEXT,
  secretMatches,
  USAGE_TEXT,
} from "../../../apps/object-detection/polybot/src/bot";
import { memoryLogger } from "./support";

const SECRET = "the-webhook-secret_0123";
const PATH = "/telegram/webhook";

function bot(over: Partial<BotDeps> = {}) {
  const calls = { getFile: [] as string[], put: [] as { key: string; bytes: Uint8Array }[], jobs: [] as PredictionJob[], sent: [] as { chatId: number; text: string; replyTo?: number }[] };
  const log = memoryLogger("polybot");
  const d: BotDeps = {
    webhookPath: PATH,
    webhookSecret: SECRET,
    logger: log.logger,
    getFilePath: async (id) => {
      calls.getFile.push(id);
      return `photos/${id}.jpg`;
    },
    downloadFile: async () => new Uint8Array([0xff, 0xd8, 0xff]),
    putImage: async (key, bytes) => void calls.put.push({ key, bytes }),
    sendJob: async (job) => void calls.jobs.push(job),
    sendMessage: async (chatId, text, replyTo) => void calls.sent.push({ chatId, text, replyTo }),
    newId: () => "job-42",
    ...over,
  };
  return { d, calls, log };
}

const req = (body: unknown, headers: Record<string, string> = { "x-telegram-bot-api-secret-token": SECRET }, method = "POST", path = PATH) => ({
  method,
  path,
  headers,
  body: Buffer.from(typeof body === "string" ? body : JSON.stringify(body)),
});

const photoUpdate = {
  update_id: 1,
  message: {
    message_id: 9,
    chat: { id: 1001 },
    from: { id: 2002 },
    photo: [
      { file_id: "small", width: 90, height: 90 },
      { file_id: "big", width: 1280, height: 960 },
      { file_id: "mid", width: 320, height: 240 },
    ],
  },
};

describe("polybot webhook", () => {
  test("the secret header is compared exactly (length and content)", () => {
    expect(secretMatches(SECRET, SECRET)).toBe(true);
    expect(secretMatches(SECRET + "x", SECRET)).toBe(false);
    expect(secretMatches(SECRET.replace("0", "1"), SECRET)).toBe(false);
    expect(secretMatches(undefined, SECRET)).toBe(false);
    expect(secretMatches([SECRET], SECRET)).toBe(false);
  });

  test("refuses a call without the secret (401) and does nothing; other paths are not its business", async () => {
    const { d, calls } = bot();
    expect(await handleWebhook(req(photoUpdate, {}), d)).toMatchObject({ status: 401 });
    expect(await handleWebhook(req(photoUpdate, { "x-telegram-bot-api-secret-token": "wrong" }), d)).toMatchObject({ status: 401 });
    expect(await handleWebhook(req(photoUpdate, undefined, "GET"), d)).toMatchObject({ status: 405 });
    expect(await handleWebhook(req(photoUpdate, undefined, "POST", "/other"), d)).toBeUndefined();
    expect(calls).toMatchObject({ getFile: [], put: [], jobs: [], sent: [] });
  });

  test("a photo: the largest size is fetched, stored under a key naming only the job, and queued with chat and user", async () => {
    const { d, calls } = bot();
    expect(await handleWebhook(req(photoUpdate), d)).toEqual({ status: 200, body: { ok: true } });
    expect(calls.getFile).toEqual(["big"]);
    expect(calls.put.map((p) => p.key)).toEqual(["images/job-42.jpg"]);
    expect(calls.jobs).toEqual([{ jobId: "job-42", chatId: 1001, userId: 2002, imageKey: "images/job-42.jpg" }]);
    expect(calls.sent).toEqual([{ chatId: 1001, text: expect.stringMatching(/looking at your photo/), replyTo: 9 }]);
  });

  test("a photo that cannot be stored or queued: the user is told, no job, and Telegram gets 200 (no retry storm)", async () => {
    const { d, calls, log } = bot({ putImage: async () => Promise.reject(new Error("AccessDenied")) });
    expect(await handleWebhook(req(photoUpdate), d)).toMatchObject({ status: 200 });
    expect(calls.jobs).toEqual([]);
    expect(calls.sent).toEqual([{ chatId: 1001, text: PHOTO_FAILED_TEXT, replyTo: 9 }]);
    expect(log.lines.find((l) => l.level === "error")).toMatchObject({ msg: "could not queue the photo", jobId: "job-42" });
  });

  test("a text message gets the usage text; updates without a message and bad JSON are handled", async () => {
    const { d, calls } = bot();
    await handleWebhook(req({ update_id: 2, message: { message_id: 1, chat: { id: 5 }, text: "/start" } }), d);
    expect(calls.sent).toEqual([{ chatId: 5, text: USAGE_TEXT, replyTo: undefined }]);
    expect(await handleWebhook(req({ update_id: 3, edited_message: {} }), d)).toMatchObject({ status: 200 });
    expect(await handleWebhook(req("{not json"), d)).toMatchObject({ status: 400 });
  });
});

describe("polybot answers", () => {
  const box = { x1: 0, y1: 0, x2: 1, y2: 1 };
  test("labels counted, most frequent first, ties by name", () => {
    const labels = ["dog", "person", "cat", "person", "dog", "person"].map((label) => ({ label, confidence: 0.9, box }));
    expect(formatDetections({ status: "ok", labels })).toBe("I found: 3 × person, 2 × dog, 1 × cat");
    expect(formatDetections({ status: "ok", labels: [] })).toBe(NOTHING_FOUND_TEXT);
    expect(formatDetections({ status: "failed", labels: [] })).toBe(PREDICTION_FAILED_TEXT);
  });

  test("a failed sendMessage throws, so the event is redelivered", async () => {
    const { d } = bot({ sendMessage: async () => Promise.reject(new Error("429")) });
    const event = { predictionId: "p", jobId: "j", chatId: 1, userId: 2, modelVersion: "v", status: "ok" as const, labels: [], durationMs: 1, at: "2026-01-01T00:00:00Z" };
    await expect(answerPrediction(event, d)).rejects.toThrow("429");
  });
});
