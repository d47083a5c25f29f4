/**
 * YOLOv5 post-processing, as the official `non_max_suppression` and
 * `scale_boxes` do it: each output row is [cx, cy, w, h, objectness,
 * class scores...] in model-input pixels; confidence = objectness x class score;
 * rows under the threshold are dropped; non-maximum suppression runs per class;
 * boxes are mapped back through the letterbox and clipped to the image.
 */
import type { Box, DetectedObject } from "../../lib/events";
import type { Letterbox } from "./preprocess";

export interface Candidate {
  readonly classIndex: number;
  readonly confidence: number;
  /** Corners in model-input pixels. */
  readonly box: Box;
}

export interface PostprocessOptions {
  readonly confidenceThreshold: number;
  readonly iouThreshold: number;
  /** Most detections kept (YOLOv5's max_det). */
  readonly maxDetections: number;
}

/** Rows of `[rows, cols]` output data (batch 1) above the confidence threshold. */
export function candidates(data: Float32Array, rows: number, cols: number, confidenceThreshold: number): Candidate[] {
  if (cols < 6) throw new Error(`model output has ${cols} values per row; expected 5 + number of classes`);
  if (data.length !== rows * cols) throw new Error(`model output has ${data.length} values; expected ${rows}x${cols}`);
  const out: Candidate[] = [];
  for (let r = 0; r < rows; r++) {
    const o = r * cols;
    const objectness = data[o + 4];
    if (!(objectness > confidenceThreshold)) continue;
    let best = -1;
    let bestScore = -Infinity;
    for (let c = 5; c < cols; c++) {
      if (data[o + c] > bestScore) {
        bestScore = data[o + c];
        best = c - 5;
      }
    }
    const confidence = bestScore * objectness;
    if (!(confidence > confidenceThreshold)) continue;
    const [cx, cy, w, h] = [data[o], data[o + 1], data[o + 2], data[o + 3]];
    out.push({ classIndex: best, confidence, box: { x1: cx - w / 2, y1: cy - h / 2, x2: cx + w / 2, y2: cy + h / 2 } });
  }
  return out;
}

export function iou(a: Box, b: Box): number {
  const iw = Math.max(0, Math.min(a.x2, b.x2) - Math.max(a.x1, b.x1));
  const ih = Math.max(0, Math.min(a.y2, b.y2) - Math.max(a.y1, b.y1));
  const inter = iw * ih;
  const area = (x: Box) => Math.max(0, x.x2 - x.x1) * Math.max(0, x.y2 - x.y1);
  const union = area(a) + area(b) - inter;
  return union <= 0 ? 0 : inter / union;
}

/** Greedy NMS per class, highest confidence first; result sorted by confidence. */
export function nonMaxSuppression(cands: readonly Candidate[], iouThreshold: number, maxDetections: number): Candidate[] {
  const sorted = [...cands].sort((a, b) => b.confidence - a.confidence);
  const kept: Candidate[] = [];
  for (const c of sorted) {
    if (kept.length >= maxDetections) break;
    if (kept.some((k) => k.classIndex === c.classIndex && iou(k.box, c.box) > iouThreshold)) continue;
    kept.push(c);
  }
  return kept;
}

/** A model-input box in original-image pixels, clipped to the image. */
export function scaleBox(box: Box, lb: Letterbox, width: number, height: number): Box {
  const clip = (v: number, max: number) => Math.min(Math.max(v, 0), max);
  return {
    x1: clip((box.x1 - lb.padX) / lb.gain, width),
    y1: clip((box.y1 - lb.padY) / lb.gain, height),
    x2: clip((box.x2 - lb.padX) / lb.gain, width),
    y2: clip((box.y2 - lb.padY) / lb.gain, height),
  };
}

export function postprocess(
  data: Float32Array,
  dims: readonly number[],
  labels: readonly string[],
  lb: Letterbox,
  image: { width: number; height: number },
  o: PostprocessOptions,
): DetectedObject[] {
  if (dims.length !== 3 || dims[0] !== 1) throw new Error(`model output shape [${dims.join(",")}]: expected [1, boxes, 5 + classes]`);
  const [, rows, cols] = dims;
  if (cols - 5 !== labels.length) throw new Error(`model output has ${cols - 5} classes; the label list has ${labels.length}`);
  const kept = nonMaxSuppression(candidates(data, rows, cols, o.confidenceThreshold), o.iouThreshold, o.maxDetections);
  const round = (v: number) => Math.round(v * 10) / 10;
  return kept.map((c) => {
    const b = scaleBox(c.box, lb, image.width, image.height);
    return {
      label: labels[c.classIndex],
      confidence: Math.round(c.confidence * 1e4) / 1e4,
      box: { x1: round(b.x1), y1: round(b.y1), x2: round(b.x2), y2: round(b.y2) },
    };
  });
}
