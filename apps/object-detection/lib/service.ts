/**
 * Start-up and graceful shutdown shared by the four services.
 *
 * SIGTERM (the kubelet, after any preStop sleep): readiness fails at once, the
 * queue consumers stop polling and drain for up to `shutdownTimeoutSeconds`
 * (shorter than the pod's grace period), unfinished messages are made visible
 * again, the HTTP server finishes open requests, and the process exits 0.
 */
import { HttpServer, RouteHandler } from "./http";
import type { Logger } from "./logger";
import type { ServiceMetrics } from "./metrics";
import type { SqsConsumer } from "./sqs-consumer";

/** Where SIGTERM/SIGINT come from: the process, or an EventEmitter in unit tests. */
export interface SignalSource {
  once(event: "SIGTERM" | "SIGINT", listener: (signal: NodeJS.Signals) => void): unknown;
  removeListener(event: "SIGTERM" | "SIGINT", listener: (signal: NodeJS.Signals) => void): unknown;
}

export interface ServiceOptions {
  readonly name: string;
  readonly logger: Logger;
  readonly metrics: ServiceMetrics;
  readonly port: number;
  readonly host?: string;
  readonly shutdownTimeoutSeconds: number;
  readonly consumers: readonly SqsConsumer[];
  /** Dependencies other than the queues (a table, a bucket). */
  readonly ready?: () => Promise<boolean>;
  readonly routes?: RouteHandler;
  readonly maxBodyBytes?: number;
  /** Runs after the HTTP server listens (e.g. registering the Telegram webhook). */
  readonly afterStart?: () => Promise<void>;
  /** Runs last, before exit (closing clients). */
  readonly onStop?: () => Promise<void>;
  /** Injected in unit tests; `process.exit` otherwise. */
  readonly exit?: (code: number) => void;
  /** Process to listen on for signals; injected in unit tests. */
  readonly signals?: SignalSource;
}

export class Service {
  readonly http: HttpServer;
  private stopping?: Promise<void>;
  private readonly onSignal = (signal: NodeJS.Signals) => void this.shutdown(signal);

  constructor(private readonly o: ServiceOptions) {
    this.http = new HttpServer({
      port: o.port,
      host: o.host,
      logger: o.logger,
      metrics: o.metrics,
      routes: o.routes,
      maxBodyBytes: o.maxBodyBytes,
      ready: async () => {
        const checks = await Promise.all([...o.consumers.map((c) => c.reachable()), o.ready ? o.ready() : Promise.resolve(true)]);
        return checks.every(Boolean);
      },
    });
  }

  /** Listens, starts consuming, installs the signal handlers; resolves with the bound port. */
  async start(): Promise<number> {
    const signals = this.o.signals ?? process;
    signals.once("SIGTERM", this.onSignal);
    signals.once("SIGINT", this.onSignal);
    const port = await this.http.listen();
    for (const c of this.o.consumers) c.start();
    this.o.logger.info("started", { port });
    if (this.o.afterStart) await this.o.afterStart();
    return port;
  }

  shutdown(reason: string): Promise<void> {
    if (!this.stopping) this.stopping = this.doShutdown(reason);
    return this.stopping;
  }

  private async doShutdown(reason: string): Promise<void> {
    const signals = this.o.signals ?? process;
    signals.removeListener("SIGTERM", this.onSignal);
    signals.removeListener("SIGINT", this.onSignal);
    const exit = this.o.exit ?? ((code: number) => process.exit(code));
    this.o.logger.info("shutting down", { reason, inFlight: this.o.consumers.reduce((n, c) => n + c.inFlightCount, 0) });
    this.http.beginShutdown();
    try {
      const results = await Promise.all(this.o.consumers.map((c) => c.stop(this.o.shutdownTimeoutSeconds * 1000)));
      const returned = results.reduce((n, r) => n + r.returned, 0);
      const finished = results.reduce((n, r) => n + r.finished, 0);
      await this.http.close();
      if (this.o.onStop) await this.o.onStop();
      this.o.logger.info("stopped", { finished, returned });
    } catch (e) {
      // Whatever is left is redelivered by SQS; a non-zero exit would only add a restart.
      this.o.logger.error("error during shutdown", { error: e });
    }
    exit(0);
  }
}

/** Logs a start-up failure (configuration, model) and exits 1 so the pod shows it. */
export function fatal(logger: Logger, e: unknown): never {
  logger.error("start-up failed", { error: e instanceof Error ? e : new Error(String(e)) });
  process.exit(1);
}
