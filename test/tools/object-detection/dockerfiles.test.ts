/**
 * The object-detection Dockerfiles: hadolint-clean, and consistent with what
 * the chart runs them as: the final stage's numeric USER is the pod's
 * runAsUser:runAsGroup, it EXPOSEs the container port the probes use, its
 * ENTRYPOINT starts the service's compiled main (the chart sets no command or
 * args), every base image is pinned to a full version, and the shipped
 * node_modules come from an install without dev dependencies. The probe paths
 * the chart uses answer on the shared HTTP server.
 */
import { spawnSync } from "node:child_process";
import * as fs from "node:fs";
import * as os from "node:os";
import * as path from "node:path";
import { HttpServer } from "../../../apps/object-detection/lib/http";
import { Logger } from "../../../apps/object-detection/lib/logger";
import { ServiceMetrics } from "../../../apps/object-detection/lib/metrics";
import { tool } from "../tool-paths";
import { objectDetectionPods, PodSpecFacts } from "./chart";

const APP = path.resolve(__dirname, "..", "..", "..", "apps", "object-detection");
const SERVICES = ["polybot", "yolo5", "metering", "model-analyzer"] as const;

interface Instruction {
  readonly op: string;
  readonly args: string;
}

/** Instructions of a Dockerfile, continuation lines joined, comments dropped. */
function instructions(text: string): Instruction[] {
  return text
    .replace(/\\\n/g, " ")
    .split("\n")
    .map((l) => l.trim())
    .filter((l) => l !== "" && !l.startsWith("#"))
    .map((l) => {
      const m = /^(\S+)\s+(.*)$/.exec(l);
      return { op: (m?.[1] ?? l).toUpperCase(), args: m?.[2] ?? "" };
    });
}

function hadolint(file: string) {
  return spawnSync(tool("HADOLINT"), ["--no-color", file], { encoding: "utf8" });
}

let pods: Map<string, PodSpecFacts>;
beforeAll(() => {
  pods = objectDetectionPods();
});

describe.each(SERVICES)("%s Dockerfile", (service) => {
  const file = path.join(APP, service, "Dockerfile");
  const all = () => instructions(fs.readFileSync(file, "utf8"));
  const finalStage = () => {
    const ins = all();
    const lastFrom = ins.map((i) => i.op).lastIndexOf("FROM");
    return ins.slice(lastFrom);
  };
  const pod = () => {
    const p = pods.get(service);
    if (!p) throw new Error(`the chart has no Deployment ${service}`);
    return p;
  };

  test("hadolint finds nothing", () => {
    const r = hadolint(file);
    expect(r.stdout + r.stderr).toBe("");
    expect(r.status).toBe(0);
  });

  test("USER is numeric and is the pod's runAsUser:runAsGroup", () => {
    const users = finalStage().filter((i) => i.op === "USER");
    expect(users).toHaveLength(1);
    expect(users[0].args).toBe(`${pod().runAsUser}:${pod().runAsGroup}`);
  });

  test("EXPOSE is the container port, which every probe uses", () => {
    const exposed = finalStage()
      .filter((i) => i.op === "EXPOSE")
      .flatMap((i) => i.args.split(/\s+/))
      .map((p) => Number(p.split("/")[0]));
    expect(exposed).toEqual([pod().containerPort]);
    expect(new Set(pod().probePorts)).toEqual(new Set([pod().containerPort]));
  });

  test("ENTRYPOINT (exec form) runs the service's compiled main; the chart adds no command or args", () => {
    const eps = finalStage().filter((i) => i.op === "ENTRYPOINT");
    expect(eps).toHaveLength(1);
    const argv = JSON.parse(eps[0].args) as string[];
    expect(argv).toEqual(["node", `dist/${service}/src/main.js`]);
    expect(fs.existsSync(path.join(APP, service, "src", "main.ts"))).toBe(true);
    expect(pod().command).toBeUndefined();
    expect(pod().args).toBeUndefined();
  });

  test("every base image is pinned to a full version tag", () => {
    for (const from of all().filter((i) => i.op === "FROM")) {
      expect(from.args).toMatch(/^[a-z0-9./-]+:\d+\.\d+\.\d+-[a-z0-9.-]+( AS [a-z0-9-]+)?$/i);
    }
  });

  test("node_modules in the image come from an install without dev dependencies", () => {
    const copies = finalStage().filter((i) => i.op === "COPY" && i.args.includes("node_modules"));
    expect(copies).toHaveLength(1);
    const stage = /--from=(\S+)/.exec(copies[0].args)?.[1];
    const ins = all();
    const start = ins.findIndex((i) => i.op === "FROM" && i.args.endsWith(` AS ${stage}`));
    const next = ins.findIndex((i, n) => n > start && i.op === "FROM");
    const runs = ins.slice(start, next).filter((i) => i.op === "RUN");
    expect(runs.map((r) => r.args)).toEqual([expect.stringMatching(/^npm ci --omit=dev\b/)]);
  });
});

test("hadolint does flag a bad Dockerfile (the check above can fail)", () => {
  const dir = fs.mkdtempSync(path.join(os.tmpdir(), "hadolint-"));
  const bad = path.join(dir, "Dockerfile");
  fs.writeFileSync(bad, "FROM node:latest\nRUN cd /app && npm install\nCMD node main.js\n");
  const r = hadolint(bad);
  expect(r.status).not.toBe(0);
  expect(r.stdout).toMatch(/DL3007/);
});

test("the chart's probe paths answer on the services' HTTP server", async () => {
  const server = new HttpServer({ port: 0, host: "127.0.0.1", logger: new Logger("t", { write: () => undefined }), metrics: new ServiceMetrics("t"), ready: async () => true });
  const port = await server.listen();
  try {
    for (const p of pods.values()) {
      for (const probe of Object.values(p.probePaths)) {
        expect([p.name, probe, (await fetch(`http://127.0.0.1:${port}${probe}`)).status]).toEqual([p.name, probe, 200]);
      }
    }
  } finally {
    await server.close();
  }
});
