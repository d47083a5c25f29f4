/**
 * The four services as real processes (their TypeScript sources through SWC),
 * each with the chart's environment plus what the test points elsewhere.
 */
import * as http from "node:http";
import * as path from "node:path";
import { ServerProcess, freePort, startProcess } from "../processes";

const REPO = path.resolve(__dirname, "..", "..", "..");
export const SERVICE_DIRS = { polybot: "polybot", yolo5: "yolo5", metering: "metering", "model-analyzer": "model-analyzer" } as const;
export type ServiceName = keyof typeof SERVICE_DIRS;

export interface RunningService {
  readonly name: ServiceName;
  readonly url: string;
  readonly process: ServerProcess;
  /** Resolves with the exit code (null when killed by a signal). */
  readonly exited: Promise<number | null>;
}

export async function startService(name: ServiceName, env: Record<string, string>, logDir: string): Promise<RunningService> {
  const port = await freePort();
  const main = path.join(REPO, "apps", "object-detection", SERVICE_DIRS[name], "src", "main.ts");
  const proc = startProcess(
    name,
    process.execPath,
    ["-r", path.join(__dirname, "swc-register.js"), main],
    path.join(logDir, `${name}.log`),
    // Nothing inherited: no proxy settings, no real AWS profile.
    { PATH: process.env.PATH ?? "/usr/bin:/bin", NODE_PATH: path.join(REPO, "node_modules"), ...env, PORT: String(port) },
  );
  const exited = new Promise<number | null>((resolve) => proc.child.once("exit", (code) => resolve(code)));
  const svc = { name, url: `http://127.0.0.1:${port}`, process: proc, exited };
  const deadline = Date.now() + 60_000;
  for (;;) {
    const status = await get(`${svc.url}/ready`).then((r) => r.status, () => 0);
    if (status === 200) return svc;
    if (proc.child.exitCode !== null) throw new Error(`${name} exited with ${proc.child.exitCode}:\n${proc.logTail()}`);
    if (Date.now() > deadline) throw new Error(`${name} not ready within 60 s (last /ready status ${status}):\n${proc.logTail()}`);
    await new Promise((r) => setTimeout(r, 200));
  }
}

export function get(url: string): Promise<{ status: number; body: string }> {
  return request("GET", url);
}

export function request(method: string, url: string, body?: string, headers: Record<string, string> = {}): Promise<{ status: number; body: string }> {
  return new Promise((resolve, reject) => {
    const req = http.request(url, { method, headers: { ...(body ? { "content-type": "application/json" } : {}), ...headers } }, (res) => {
      const chunks: Buffer[] = [];
      res.on("data", (c: Buffer) => chunks.push(c));
      res.on("end", () => resolve({ status: res.statusCode ?? 0, body: Buffer.concat(chunks).toString("utf8") }));
    });
    req.on("error", reject);
    req.setTimeout(10_000, () => req.destroy(new Error(`${method} ${url}: timeout`)));
    req.end(body);
  });
}

/** Value of an unlabelled-or-labelled Prometheus sample, summed over label sets matching `labels`. */
export function metricValue(text: string, name: string, labels: Record<string, string> = {}): number {
  let sum = 0;
  for (const line of text.split("\n")) {
    if (!line.startsWith(name + "{") && !line.startsWith(name + " ")) continue;
    if (!Object.entries(labels).every(([k, v]) => line.includes(`${k}="${v}"`))) continue;
    sum += Number(line.slice(line.lastIndexOf(" ") + 1));
  }
  return sum;
}
