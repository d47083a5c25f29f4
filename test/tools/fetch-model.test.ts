/**
 * Runs charts/dlstreamer/fetch-model.sh (the pipeline server's init
 * container) with a real POSIX shell and curl against a local HTTP server
 * standing in for the Open Model Zoo storage.
 */
import * as fs from "node:fs";
import * as http from "node:http";
import * as os from "node:os";
import * as path from "node:path";
import { run, RunResult } from "./support/processes";

const SCRIPT = path.join(__dirname, "../../charts/dlstreamer/fetch-model.sh");
const MODEL = "person-vehicle-bike-detection-2004";
const files: Record<string, string> = {
  [`/models_bin/1/${MODEL}/FP32/${MODEL}.xml`]: "<net name='pvb'/>\n",
  [`/models_bin/1/${MODEL}/FP32/${MODEL}.bin`]: "weights".repeat(1000),
};
const requests: string[] = [];
let server: http.Server;
let baseUrl: string;

beforeAll(async () => {
  server = http.createServer((req, res) => {
    requests.push(req.url ?? "");
    const body = files[req.url ?? ""];
    if (body === undefined) res.writeHead(404).end("not found");
    else res.writeHead(200).end(body);
  });
  await new Promise<void>((resolve) => server.listen(0, "127.0.0.1", resolve));
  baseUrl = `http://127.0.0.1:${(server.address() as { port: number }).port}/models_bin/1`;
});
afterAll(() => new Promise((resolve) => server.close(resolve)));

function fetchModel(modelDir: string, name = MODEL): Promise<RunResult> {
  return run("sh", [SCRIPT], {
    timeoutMs: 30000,
    env: { PATH: process.env.PATH ?? "", MODEL_BASE_URL: baseUrl, MODEL_NAME: name, MODEL_PRECISION: "FP32", MODEL_DIR: modelDir },
  });
}

test("is shellcheck-clean (POSIX sh)", async () => {
  const result = await run("shellcheck", ["-s", "sh", SCRIPT]);
  expect(result.stdout).toBe("");
  expect(result.code).toBe(0);
});

test("downloads the .xml and .bin where the pipeline definition expects them, once", async () => {
  const dir = fs.mkdtempSync(path.join(os.tmpdir(), "models-"));
  try {
    const first = await fetchModel(dir);
    expect(first.stderr).toBe("");
    expect(first.code).toBe(0);
    for (const ext of ["xml", "bin"]) {
      expect(fs.readFileSync(path.join(dir, MODEL, "FP32", `${MODEL}.${ext}`), "utf8")).toBe(files[`/models_bin/1/${MODEL}/FP32/${MODEL}.${ext}`]);
    }
    const before = requests.length;
    const second = await fetchModel(dir);
    expect(second.code).toBe(0);
    expect(second.stdout).toContain("already present");
    expect(requests.length).toBe(before);
  } finally {
    fs.rmSync(dir, { recursive: true, force: true });
  }
});

test("fails, leaving no file that looks complete, when the model is missing", async () => {
  const dir = fs.mkdtempSync(path.join(os.tmpdir(), "models-"));
  try {
    const result = await fetchModel(dir, "no-such-model");
    expect(result.code).not.toBe(0);
    expect(result.stderr).toMatch(/404/);
    expect(fs.existsSync(path.join(dir, "no-such-model", "FP32", "no-such-model.xml"))).toBe(false);
  } finally {
    fs.rmSync(dir, { recursive: true, force: true });
  }
});

test("refuses to run without its settings", async () => {
  const result = await run("sh", [SCRIPT], { env: { PATH: process.env.PATH ?? "" } });
  expect(result.code).not.toBe(0);
  expect(result.stderr).toContain("MODEL_BASE_URL must be set");
});
