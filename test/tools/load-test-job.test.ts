/**
 * Runs the shell loop of charts/gourmetgram/load-test-job.yaml with a real
 * POSIX shell and wget against a local HTTP server, shortened to 2 s.
 */
import * as fs from "node:fs";
import * as http from "node:http";
import * as path from "node:path";
import { parse } from "yaml";
import { run } from "./support/processes";

type Obj = Record<string, any>; // eslint-disable-line @typescript-eslint/no-explicit-any

const job = parse(fs.readFileSync(path.join(__dirname, "../../charts/gourmetgram/load-test-job.yaml"), "utf8")) as Obj;
const container = job.spec.template.spec.containers[0];

test("requests the target until the time is up, then reports the counts", async () => {
  let hits = 0;
  let failNext = true;
  const server = http.createServer((req, res) => {
    hits++;
    if (req.url !== "/test") return void res.writeHead(404).end();
    // One failure, to check it is counted, not fatal.
    if (failNext) {
      failNext = false;
      return void res.writeHead(503).end();
    }
    res.writeHead(200).end("pizza");
  });
  await new Promise<void>((resolve) => server.listen(0, "127.0.0.1", resolve));
  try {
    const port = (server.address() as { port: number }).port;
    expect(container.command.slice(0, 2)).toEqual(["/bin/sh", "-c"]);
    const started = Date.now();
    const result = await run("sh", ["-c", container.command[2]], {
      timeoutMs: 20000,
      env: { PATH: process.env.PATH ?? "", TARGET: `http://127.0.0.1:${port}/test`, DURATION_SECONDS: "2" },
    });
    expect(result.code).toBe(0);
    const m = /^requests ok=(\d+) failed=(\d+)$/m.exec(result.stdout);
    expect(m).not.toBeNull();
    expect(Number(m?.[2])).toBe(1);
    expect(Number(m?.[1])).toBeGreaterThan(0);
    expect(Number(m?.[1]) + Number(m?.[2])).toBe(hits);
    // Stopped by its own clock, not by the test's timeout.
    expect(Date.now() - started).toBeLessThan(15000);
  } finally {
    await new Promise((r) => server.close(r));
  }
}, 30000);
