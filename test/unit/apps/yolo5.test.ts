import { handleJob, ImageNotFound, JobDeps } from "../../../apps/object-detection/yolo5/src/handler";
import { COCO_LABELS } from "../../../apps/object-detection/yolo5/src/coco";
import { UnreadableImage } from "../../../apps/object-detection/yolo5/src/detector";
import { candidates, iou, nonMaxSuppression, postprocess, scaleBox } from "../../../apps/object-detection/yolo5/src/postprocess";
import { letterboxGeometry, PAD_VALUE, preprocess } from "../../../apps/object-detection/yolo5/src/preprocess";
import type { PredictionEvent } from "../../../apps/object-detection/lib/events";
import { memoryLogger } from "./support";

const S = 640;
const at = (data: Float32Array, ch: number, x: number, y: number) => data[ch * S * S + y * S + x];

function solid(width: number, height: number, rgb: [number, number, number]) {
  const data = new Uint8Array(width * height * 4);
  for (let i = 0; i < width * height; i++) data.set([...rgb, 255], i * 4);
  return { width, height, data };
}

describe("letterbox (YOLOv5's letterbox: fit, keep aspect, pad with 114 evenly)", () => {
  test.each([
    // width, height -> gain, scaled size, padding left/top (hand-computed)
    [320, 160, 2, 640, 320, 0, 160],
    [1280, 720, 0.5, 640, 360, 0, 140],
    [640, 640, 1, 640, 640, 0, 0],
    [100, 300, 640 / 300, 213, 640, 213, 0], // (640-213)/2 = 213.5 -> round(213.4) = 213: the odd pixel goes right
  ])("%dx%d", (w, h, gain, sw, sh, px, py) => {
    expect(letterboxGeometry(w, h, S)).toEqual({ size: S, gain, scaledWidth: sw, scaledHeight: sh, padX: px, padY: py });
  });

  test("pixels: padding is 114/255 in every channel, the image is RGB in [0,1], planar (NCHW)", () => {
    const { data, letterbox } = preprocess(solid(320, 160, [255, 0, 51]), S);
    expect(data).toHaveLength(3 * S * S);
    expect(letterbox.padY).toBe(160);
    for (const ch of [0, 1, 2]) {
      expect(at(data, ch, 10, 10)).toBeCloseTo(PAD_VALUE / 255, 6); // top padding
      expect(at(data, ch, 600, 639)).toBeCloseTo(PAD_VALUE / 255, 6); // bottom padding
    }
    expect(at(data, 0, 320, 160)).toBeCloseTo(1, 6); // first image row
    expect(at(data, 1, 320, 300)).toBeCloseTo(0, 6);
    expect(at(data, 2, 639, 479)).toBeCloseTo(0.2, 6); // last image row
  });

  test("bilinear scaling with OpenCV's half-pixel centres: a 2x1 black|white image doubled", () => {
    const img = { width: 2, height: 1, data: new Uint8Array([0, 0, 0, 255, 255, 255, 255, 255]) };
    // gain 320: 640x320, padY 160. Output x maps to source (x + 0.5) / 320 - 0.5.
    const { data } = preprocess(img, S);
    expect(at(data, 0, 0, 200)).toBeCloseTo(0, 6); // clamped to the black pixel
    expect(at(data, 0, 639, 200)).toBeCloseTo(1, 6); // clamped to the white pixel
    // x = 319: source 0.4984375 -> 0.4984375 of white
    expect(at(data, 0, 319, 200)).toBeCloseTo(0.4984375, 5);
  });

  test("rejects RGBA data of the wrong length and an empty image", () => {
    expect(() => preprocess({ width: 2, height: 2, data: new Uint8Array(12) }, S)).toThrow(/expected 16/);
    expect(() => letterboxGeometry(0, 10, S)).toThrow(/positive/);
  });
});

/** An output table [rows, 85] with the given rows set. */
function table(rows: number, set: [number, number[]][]): Float32Array {
  const t = new Float32Array(rows * 85);
  for (const [r, v] of set) t.set(v, r * 85);
  return t;
}
function row(cx: number, cy: number, w: number, h: number, obj: number, cls: number, score: number): number[] {
  const r = new Array<number>(85).fill(0);
  r.splice(0, 5, cx, cy, w, h, obj);
  r[5 + cls] = score;
  return r;
}

describe("post-processing (YOLOv5's non_max_suppression and scale_boxes)", () => {
  test("confidence = objectness x best class score; both must exceed the threshold; boxes become corners", () => {
    const t = table(4, [
      [0, row(100, 100, 20, 40, 0.9, 2, 0.5)], // 0.45: kept
      [1, row(100, 100, 20, 40, 0.2, 2, 1.0)], // objectness 0.2: dropped before class scores
      [2, row(100, 100, 20, 40, 0.5, 2, 0.4)], // 0.2: dropped
    ]);
    const c = candidates(t, 4, 85, 0.25);
    expect(c).toHaveLength(1);
    expect(c[0].classIndex).toBe(2);
    expect(c[0].confidence).toBeCloseTo(0.45, 6);
    expect(c[0].box).toEqual({ x1: 90, y1: 80, x2: 110, y2: 120 });
  });

  test("IoU, hand-computed", () => {
    // Two 10x10 squares overlapping by 5x10: 50 / (100 + 100 - 50) = 1/3.
    expect(iou({ x1: 0, y1: 0, x2: 10, y2: 10 }, { x1: 5, y1: 0, x2: 15, y2: 10 })).toBeCloseTo(1 / 3, 10);
    // Corner overlap 5x5: 25 / 175.
    expect(iou({ x1: 0, y1: 0, x2: 10, y2: 10 }, { x1: 5, y1: 5, x2: 15, y2: 15 })).toBeCloseTo(25 / 175, 10);
    expect(iou({ x1: 0, y1: 0, x2: 10, y2: 10 }, { x1: 20, y1: 20, x2: 30, y2: 30 })).toBe(0);
    expect(iou({ x1: 0, y1: 0, x2: 0, y2: 0 }, { x1: 0, y1: 0, x2: 0, y2: 0 })).toBe(0);
  });

  test("NMS: suppresses same-class boxes above the IoU threshold, keeps other classes and lower overlaps, highest first", () => {
    const box = (x1: number) => ({ x1, y1: 0, x2: x1 + 10, y2: 10 });
    const kept = nonMaxSuppression(
      [
        { classIndex: 0, confidence: 0.6, box: box(5) }, // IoU 1/3 with the 0.9 box: under 0.45, kept
        { classIndex: 0, confidence: 0.9, box: box(0) },
        { classIndex: 0, confidence: 0.8, box: box(1) }, // IoU 9/11 = 0.82: suppressed
        { classIndex: 1, confidence: 0.7, box: box(0) }, // other class: kept
      ],
      0.45,
      300,
    );
    expect(kept.map((k) => [k.classIndex, k.confidence])).toEqual([
      [0, 0.9],
      [1, 0.7],
      [0, 0.6],
    ]);
    expect(nonMaxSuppression([{ classIndex: 0, confidence: 0.9, box: box(0) }, { classIndex: 1, confidence: 0.8, box: box(0) }], 0.45, 1)).toHaveLength(1);
  });

  test("boxes go back through the letterbox and are clipped to the image", () => {
    const lb = letterboxGeometry(320, 160, S); // gain 2, padY 160
    expect(scaleBox({ x1: 270, y1: 220, x2: 370, y2: 420 }, lb, 320, 160)).toEqual({ x1: 135, y1: 30, x2: 185, y2: 130 });
    expect(scaleBox({ x1: -20, y1: 100, x2: 700, y2: 600 }, lb, 320, 160)).toEqual({ x1: 0, y1: 0, x2: 320, y2: 160 });
  });

  test("postprocess names labels and refuses an output that is not [1, rows, 5 + classes]", () => {
    const lb = letterboxGeometry(640, 640, S);
    const t = table(2, [[1, row(320, 320, 64, 32, 0.8, 16, 1)]]);
    const o = { confidenceThreshold: 0.25, iouThreshold: 0.45, maxDetections: 300 };
    expect(postprocess(t, [1, 2, 85], COCO_LABELS, lb, { width: 640, height: 640 }, o)).toEqual([
      { label: "dog", confidence: 0.8, box: { x1: 288, y1: 304, x2: 352, y2: 336 } },
    ]);
    expect(() => postprocess(t, [2, 85], COCO_LABELS, lb, { width: 640, height: 640 }, o)).toThrow(/expected \[1, boxes/);
    expect(() => postprocess(t, [1, 2, 85], COCO_LABELS.slice(1), lb, { width: 640, height: 640 }, o)).toThrow(/80 classes; the label list has 79/);
    expect(COCO_LABELS).toHaveLength(80);
  });
});

describe("handleJob", () => {
  const job = { jobId: "job-1", chatId: 77, userId: 88, imageKey: "images/job-1.jpg" };
  function deps(over: Partial<JobDeps> = {}) {
    const published: PredictionEvent[] = [];
    const d: JobDeps = {
      modelVersion: "1.2.3",
      logger: memoryLogger().logger,
      getImage: async () => new Uint8Array([1, 2, 3]),
      decode: () => ({ width: 1, height: 1, data: new Uint8Array(4) }),
      detect: async () => [{ label: "cat", confidence: 0.9, box: { x1: 0, y1: 0, x2: 1, y2: 1 } }],
      publish: async (e) => void published.push(e),
      now: () => new Date("2026-05-01T10:00:00.000Z"),
      newId: () => "pred-1",
      ...over,
    };
    return { d, published };
  }

  test("publishes exactly the event shape the consumers read", async () => {
    const { d, published } = deps();
    await handleJob(JSON.stringify(job), new AbortController().signal, d);
    expect(published).toHaveLength(1);
    const e = published[0];
    expect(Object.keys(e).sort()).toEqual(["at", "chatId", "durationMs", "jobId", "labels", "modelVersion", "predictionId", "status", "userId"]);
    expect(e).toMatchObject({ predictionId: "pred-1", jobId: "job-1", chatId: 77, userId: 88, modelVersion: "1.2.3", status: "ok", at: "2026-05-01T10:00:00.000Z" });
    expect(e.durationMs).toBeGreaterThanOrEqual(0);
  });

  test.each([
    ["a missing image", { getImage: async () => Promise.reject(new ImageNotFound()) }, /image not found/],
    ["an unreadable image", { decode: () => { throw new UnreadableImage("not a readable JPEG image (SOI not found)"); } }, /not a readable JPEG/],
  ])("%s is a permanent failure: a 'failed' event, no labels, and the job is done", async (_what, over, reason) => {
    const { d, published } = deps(over as Partial<JobDeps>);
    await handleJob(JSON.stringify(job), new AbortController().signal, d);
    expect(published[0]).toMatchObject({ status: "failed", labels: [], error: expect.stringMatching(reason) });
  });

  test("an infrastructure error (S3, SNS, the model) throws so SQS redelivers, and publishes nothing", async () => {
    const { d, published } = deps({ getImage: async () => Promise.reject(Object.assign(new Error("slow down"), { name: "SlowDown" })) });
    await expect(handleJob(JSON.stringify(job), new AbortController().signal, d)).rejects.toThrow(/slow down/);
    expect(published).toEqual([]);
  });

  test.each([
    ["not JSON", "{", /not JSON/],
    ["a missing field", JSON.stringify({ ...job, userId: undefined }), /userId/],
    ["a key outside images/", JSON.stringify({ ...job, imageKey: "../secrets/x.jpg" }), /imageKey/],
  ])("an invalid job (%s) is rejected, not half-processed", async (_what, body, msg) => {
    const { d, published } = deps();
    await expect(handleJob(body, new AbortController().signal, d)).rejects.toThrow(msg);
    expect(published).toEqual([]);
  });
});
