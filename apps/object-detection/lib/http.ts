/**
 * The HTTP side every service has: `/healthz` (liveness: the process answers),
 * `/ready` and `/readyz` (readiness: dependencies reachable and not shutting
 * down; the chart's probe uses `/ready`), `/metrics`, plus the service's own routes.
 */
import * as http from "node:http";
import type { Logger } from "./logger";
import type { ServiceMetrics } from "./metrics";

export interface Request {
  readonly method: string;
  readonly path: string;
  readonly headers: http.IncomingHttpHeaders;
  readonly body: Buffer;
}

export interface Response {
  readonly status: number;
  readonly body?: unknown;
  readonly headers?: Record<string, string>;
}

/** Returns undefined when the route is not its own (404). */
export type RouteHandler = (req: Request) => Promise<Response | undefined>;

export interface HttpServerOptions {
  readonly port: number;
  /** Loopback in tests; all interfaces in a pod. */
  readonly host?: string;
  readonly logger: Logger;
  readonly metrics: ServiceMetrics;
  readonly ready: () => Promise<boolean>;
  readonly routes?: RouteHandler;
  /**
   * Largest request body accepted.
   * @default 1 MiB
   */
  readonly maxBodyBytes?: number;
}

/** Readiness results are reused this long, so probes do not hammer AWS. */
const READY_CACHE_MS = 5000;

export class HttpServer {
  readonly server: http.Server;
  private shuttingDown = false;
  private readyCache?: { at: number; ok: boolean };

  constructor(private readonly o: HttpServerOptions) {
    this.server = http.createServer((req, res) => {
      this.handle(req, res).catch((e) => {
        o.logger.error("request failed", { path: safePath(req.url), error: e });
        if (!res.headersSent) res.writeHead(500, { "content-type": "application/json" });
        res.end(JSON.stringify({ error: "internal error" }));
      });
    });
    // Shorter than the ingress' and kube-proxy's idle timeouts is the wrong way round; longer avoids resets.
    this.server.keepAliveTimeout = 65_000;
  }

  listen(): Promise<number> {
    return new Promise((resolve, reject) => {
      this.server.once("error", reject);
      this.server.listen(this.o.port, this.o.host ?? "0.0.0.0", () => {
        const addr = this.server.address();
        resolve(typeof addr === "object" && addr ? addr.port : this.o.port);
      });
    });
  }

  /** Readiness fails from now on; requests in progress still complete. */
  beginShutdown(): void {
    this.shuttingDown = true;
  }

  /** Stop accepting connections and wait for open requests. */
  close(graceMs = 5000): Promise<void> {
    return new Promise((resolve) => {
      // A keep-alive client that never sends another request would hold close() open.
      const timer = setTimeout(() => this.server.closeAllConnections(), graceMs);
      this.server.close(() => {
        clearTimeout(timer);
        resolve();
      });
      this.server.closeIdleConnections();
    });
  }

  private async handle(req: http.IncomingMessage, res: http.ServerResponse): Promise<void> {
    const path = safePath(req.url);
    const method = req.method ?? "GET";
    if (method === "GET" && path === "/healthz") return send(res, { status: 200, body: { status: "ok" } });
    if (method === "GET" && (path === "/ready" || path === "/readyz")) {
      const ok = !this.shuttingDown && (await this.isReady());
      return send(res, { status: ok ? 200 : 503, body: { ready: ok, shuttingDown: this.shuttingDown } });
    }
    if (method === "GET" && path === "/metrics") {
      const text = await this.o.metrics.registry.metrics();
      res.writeHead(200, { "content-type": this.o.metrics.registry.contentType });
      res.end(text);
      return;
    }
    if (this.o.routes) {
      const body = await readBody(req, this.o.maxBodyBytes ?? 1 << 20);
      if (body === undefined) return send(res, { status: 413, body: { error: "request body too large" } });
      const out = await this.o.routes({ method, path, headers: req.headers, body });
      if (out) return send(res, out);
    }
    send(res, { status: 404, body: { error: "not found" } });
  }

  private async isReady(): Promise<boolean> {
    const now = Date.now();
    if (this.readyCache && now - this.readyCache.at < READY_CACHE_MS) return this.readyCache.ok;
    const ok = await this.o.ready().catch(() => false);
    this.readyCache = { at: now, ok };
    return ok;
  }
}

/** The path without the query string (which can carry tokens). */
function safePath(url: string | undefined): string {
  return (url ?? "/").split("?")[0];
}

function send(res: http.ServerResponse, r: Response): void {
  const isText = typeof r.body === "string";
  const payload = r.body === undefined ? "" : isText ? (r.body as string) : JSON.stringify(r.body);
  res.writeHead(r.status, { "content-type": isText ? "text/plain; charset=utf-8" : "application/json", ...r.headers });
  res.end(payload);
}

function readBody(req: http.IncomingMessage, limit: number): Promise<Buffer | undefined> {
  return new Promise((resolve, reject) => {
    const chunks: Buffer[] = [];
    let size = 0;
    let tooLarge = false;
    req.on("data", (c: Buffer) => {
      size += c.length;
      if (size > limit) tooLarge = true;
      else chunks.push(c);
    });
    req.on("end", () => resolve(tooLarge ? undefined : Buffer.concat(chunks)));
    req.on("error", reject);
  });
}
