/**
 * YOLOv5 pre-processing, as the official `letterbox` + `detect.py` do it: scale
 * the image to fit the square model input keeping its aspect ratio (bilinear,
 * OpenCV's half-pixel convention), pad the rest with grey 114 split evenly on
 * both sides, then planar RGB floats in [0, 1] (NCHW).
 */

/** Decoded pixels, 4 bytes per pixel (RGBA), row-major. */
export interface RgbaImage {
  readonly width: number;
  readonly height: number;
  readonly data: Uint8Array;
}

/** How the original image sits inside the model input, to map boxes back. */
export interface Letterbox {
  readonly size: number;
  /** Scale from original to model pixels. */
  readonly gain: number;
  /** Padding added on the left and top, in model pixels. */
  readonly padX: number;
  readonly padY: number;
  /** Size of the scaled image inside the input. */
  readonly scaledWidth: number;
  readonly scaledHeight: number;
}

export const PAD_VALUE = 114;

export function letterboxGeometry(width: number, height: number, size: number): Letterbox {
  if (!(width > 0 && height > 0)) throw new Error(`image size ${width}x${height}: expected positive dimensions`);
  const gain = Math.min(size / width, size / height);
  const scaledWidth = Math.round(width * gain);
  const scaledHeight = Math.round(height * gain);
  // YOLOv5: top = round(dh - 0.1), so an odd padding puts the extra pixel at the bottom/right.
  // max(0, ...): no padding rounds to -0 otherwise.
  const padX = Math.max(0, Math.round((size - scaledWidth) / 2 - 0.1));
  const padY = Math.max(0, Math.round((size - scaledHeight) / 2 - 0.1));
  return { size, gain, padX, padY, scaledWidth, scaledHeight };
}

/** NCHW float32 tensor data of length 3*size*size, and the geometry used. */
export function preprocess(img: RgbaImage, size: number): { data: Float32Array; letterbox: Letterbox } {
  if (img.data.length !== img.width * img.height * 4) {
    throw new Error(`image data: got ${img.data.length} bytes; expected ${img.width * img.height * 4} (RGBA)`);
  }
  const lb = letterboxGeometry(img.width, img.height, size);
  const plane = size * size;
  const out = new Float32Array(3 * plane).fill(PAD_VALUE / 255);
  const sx = img.width / lb.scaledWidth;
  const sy = img.height / lb.scaledHeight;
  const src = img.data;
  const rowStride = img.width * 4;
  for (let y = 0; y < lb.scaledHeight; y++) {
    const fy = Math.min(Math.max((y + 0.5) * sy - 0.5, 0), img.height - 1);
    const y0 = Math.floor(fy);
    const y1 = Math.min(y0 + 1, img.height - 1);
    const wy = fy - y0;
    const outRow = (y + lb.padY) * size + lb.padX;
    for (let x = 0; x < lb.scaledWidth; x++) {
      const fx = Math.min(Math.max((x + 0.5) * sx - 0.5, 0), img.width - 1);
      const x0 = Math.floor(fx);
      const x1 = Math.min(x0 + 1, img.width - 1);
      const wx = fx - x0;
      const a = y0 * rowStride + x0 * 4;
      const b = y0 * rowStride + x1 * 4;
      const c = y1 * rowStride + x0 * 4;
      const d = y1 * rowStride + x1 * 4;
      const o = outRow + x;
      for (let ch = 0; ch < 3; ch++) {
        const top = src[a + ch] * (1 - wx) + src[b + ch] * wx;
        const bottom = src[c + ch] * (1 - wx) + src[d + ch] * wx;
        out[ch * plane + o] = (top * (1 - wy) + bottom * wy) / 255;
      }
    }
  }
  return { data: out, letterbox: lb };
}
