import { ConfigError, EnvReader } from "../../../apps/object-detection/lib/config";
import { parsePredictionEvent } from "../../../apps/object-detection/lib/events";
import { memoryLogger } from "./support";

describe("configuration from the environment", () => {
  test("every problem at once, naming the variable; secret values are not echoed", () => {
    const env = new EnvReader({ PORT: "99999", SECRET_X: "", JOBS_QUEUE_URL: "SET-BY-PULUMI-jobs-queue-url", TELEGRAM_APP_URL: "ftp://x" });
    env.int("PORT", 8080, 1, 65535);
    env.string("SECRET_X", { secret: true });
    env.awsValue("JOBS_QUEUE_URL");
    env.url("TELEGRAM_APP_URL");
    let err: unknown;
    try {
      env.done();
    } catch (e) {
      err = e;
    }
    expect(err).toBeInstanceOf(ConfigError);
    expect((err as ConfigError).problems).toEqual([
      'PORT: got "99999"; allowed: an integer from 1 to 65535',
      "SECRET_X: not set; required",
      'JOBS_QUEUE_URL: got the synth placeholder "SET-BY-PULUMI-jobs-queue-url"; allowed: the value Pulumi writes into the ConfigMap',
      'TELEGRAM_APP_URL: got "ftp://x"; allowed: an http(s) URL',
    ]);
  });

  test("defaults apply when unset", () => {
    const env = new EnvReader({});
    expect(env.int("PORT", 8080, 1, 65535)).toBe(8080);
    expect(env.string("X", { default: "d" })).toBe("d");
    expect(() => env.done()).not.toThrow();
  });
});

describe("JSON logs", () => {
  test("one JSON object per line with time, level, service and fields; errors as name and message; secrets redacted anywhere", () => {
    const log = memoryLogger("polybot");
    log.logger.redact("123456:SECRET-TOKEN");
    log.logger.child({ jobId: "j" }).error("failed", { error: new Error("GET https://api.telegram.org/bot123456:SECRET-TOKEN/getFile failed"), url: "x/bot123456:SECRET-TOKEN/y" });
    expect(log.raw).toHaveLength(1);
    expect(log.raw[0].endsWith("\n")).toBe(true);
    expect(log.raw[0]).not.toContain("SECRET-TOKEN");
    expect(log.lines[0]).toMatchObject({
      level: "error",
      service: "polybot",
      msg: "failed",
      jobId: "j",
      error: { name: "Error", message: "GET https://api.telegram.org/bot[REDACTED]/getFile failed" },
      url: "x/bot[REDACTED]/y",
    });
  });
});

describe("prediction event validation", () => {
  const ok = {
    predictionId: "p",
    jobId: "j",
    chatId: 1,
    userId: 2,
    modelVersion: "1.0.0",
    status: "ok",
    labels: [{ label: "cat", confidence: 0.5, box: { x1: 0, y1: 0, x2: 1, y2: 1 } }],
    durationMs: 3,
    at: "2026-01-01T00:00:00.000Z",
  };
  test("keeps only the known fields", () => {
    const e = parsePredictionEvent(JSON.stringify({ ...ok, imageKey: "images/x.jpg", extra: 1 }));
    expect(Object.keys(e).sort()).toEqual(Object.keys(ok).sort());
  });
  test.each([
    ["status", { status: "maybe" }, /status/],
    ["confidence", { labels: [{ label: "cat", confidence: 2, box: { x1: 0, y1: 0, x2: 1, y2: 1 } }] }, /confidence/],
    ["box", { labels: [{ label: "cat", confidence: 0.5 }] }, /box/],
    ["at", { at: "yesterday" }, /at/],
    ["chatId", { chatId: "1" }, /chatId/],
  ])("rejects a bad %s", (_k, over, msg) => {
    expect(() => parsePredictionEvent(JSON.stringify({ ...ok, ...over }))).toThrow(msg);
  });
});
