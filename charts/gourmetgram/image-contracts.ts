/**
 * What the GourmetGram image does, read from github.com/teaching-on-testbeds/gourmetgram
 * at 189b444e (2026-02-05; the image is built from its Dockerfile). See charts/image-contract.ts.
 */
import type { ImageContract } from "../image-contract";

const GG = "teaching-on-testbeds/gourmetgram@189b444e";

export const GOURMETGRAM_CONTRACT: ImageContract = {
  name: "gourmetgram",
  upstream: GG,
  user: { name: "root", source: `${GG} Dockerfile: FROM python:3.11-slim-buster, no USER line` },
  entrypoint: { argv: [], passesArgs: "exec", source: `${GG} Dockerfile: CMD ["python","app.py"], no ENTRYPOINT (python base image has none)` },
  ports: [{ port: 8000, serves: "Flask app", source: `${GG} app.py app.run(host='0.0.0.0', port=8000); Dockerfile EXPOSE 8000` }],
  health: [
    { port: 8000, path: "/", source: `${GG} app.py @app.route('/') renders the upload page (no model call)` },
    { port: 8000, path: "/test", source: `${GG} app.py @app.route('/test') predicts ./instance/uploads/test_image.jpeg` },
  ],
  writes: [
    {
      path: "/app/instance/uploads",
      why: "POST /predict saves the photo there before classifying it (the image ships test_image.jpeg in it)",
      source: `${GG} app.py upload(): f.save(os.path.join(app.instance_path, 'uploads', ...)); instance/uploads/test_image.jpeg in the repository`,
    },
  ],
  commands: [{ argv: ["cp"], flags: ["-R"], source: "coreutils cp of the Debian base (python:3.11-slim-buster)" }],
  env: [],
};

/** The contract of each GourmetGram container, by container name. */
export const GOURMETGRAM_IMAGE_CONTRACTS: Readonly<Record<string, ImageContract>> = {
  gourmetgram: GOURMETGRAM_CONTRACT,
  "seed-uploads": GOURMETGRAM_CONTRACT,
};
