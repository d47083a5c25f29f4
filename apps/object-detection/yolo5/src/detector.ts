/**
 * The model, loaded once from a file baked into the image (nothing is fetched
 * at run time), and one detection: decode -> letterbox -> ONNX Runtime -> NMS.
 */
import * as jpeg from "jpeg-js";
import * as ort from "onnxruntime-node";
import type { DetectedObject } from "../../lib/events";
import { postprocess, PostprocessOptions } from "./postprocess";
import { preprocess, RgbaImage } from "./preprocess";

/** The image cannot be analysed whatever we retry: a permanent failure. */
export class UnreadableImage extends Error {
  constructor(message: string) {
    super(message);
    this.name = "UnreadableImage";
  }
}

export interface DetectorOptions extends PostprocessOptions {
  readonly labels: readonly string[];
  /** ONNX Runtime intra-op threads; the pod's CPU limit is what matters. */
  readonly threads: number;
  /** Decoded images above this many megapixels are refused (decompression bombs). */
  readonly maxMegapixels: number;
}

export class Detector {
  private constructor(
    private readonly session: ort.InferenceSession,
    private readonly inputName: string,
    private readonly outputName: string,
    readonly inputSize: number,
    private readonly o: DetectorOptions,
  ) {}

  static async load(modelPath: string, o: DetectorOptions): Promise<Detector> {
    const session = await ort.InferenceSession.create(modelPath, {
      intraOpNumThreads: o.threads,
      interOpNumThreads: 1,
      executionProviders: ["cpu"],
    });
    const inputName = session.inputNames[0];
    const outputName = session.outputNames[0];
    const meta = session.inputMetadata?.[0];
    let size = 640;
    if (meta && "shape" in meta && Array.isArray(meta.shape)) {
      const shape = meta.shape;
      if (shape.length !== 4 || shape[1] !== 3 || shape[2] !== shape[3] || typeof shape[2] !== "number") {
        throw new Error(`model input ${inputName} has shape [${shape.join(",")}]; expected [1,3,S,S]`);
      }
      size = shape[2];
    }
    return new Detector(session, inputName, outputName, size, o);
  }

  decode(bytes: Uint8Array): RgbaImage {
    try {
      const img = jpeg.decode(bytes, { useTArray: true, formatAsRGBA: true, maxResolutionInMP: this.o.maxMegapixels, maxMemoryUsageInMB: 1024 });
      return { width: img.width, height: img.height, data: img.data };
    } catch (e) {
      throw new UnreadableImage(`not a readable JPEG image (${e instanceof Error ? e.message.slice(0, 100) : "decode error"})`);
    }
  }

  async detect(img: RgbaImage): Promise<DetectedObject[]> {
    const { data, letterbox } = preprocess(img, this.inputSize);
    const input = new ort.Tensor("float32", data, [1, 3, this.inputSize, this.inputSize]);
    const results = await this.session.run({ [this.inputName]: input });
    const out = results[this.outputName];
    if (out.type !== "float32") throw new Error(`model output is ${out.type}; expected float32`);
    return postprocess(out.data as Float32Array, out.dims, this.o.labels, letterbox, img, this.o);
  }

  async close(): Promise<void> {
    await this.session.release();
  }
}
