/**
 * Prometheus metrics shared by the services (scraped at /metrics on the HTTP
 * port, as the chart's pod annotations say). One registry per service instance,
 * so tests can create several without name clashes.
 */
import { Counter, Histogram, Registry, collectDefaultMetrics } from "prom-client";

export class ServiceMetrics {
  readonly registry = new Registry();
  readonly processed: Counter<"queue">;
  readonly failed: Counter<"queue">;
  readonly returned: Counter<"queue">;
  readonly processingSeconds: Histogram<"queue">;
  readonly receiveErrors: Counter<"queue">;

  constructor(service: string, opts: { processMetrics?: boolean } = {}) {
    this.registry.setDefaultLabels({ service });
    if (opts.processMetrics) collectDefaultMetrics({ register: this.registry });
    this.processed = new Counter({
      name: "od_messages_processed_total",
      help: "Queue messages handled successfully and deleted.",
      labelNames: ["queue"],
      registers: [this.registry],
    });
    this.failed = new Counter({
      name: "od_messages_failed_total",
      help: "Queue messages whose handling failed (left for redelivery, then the dead-letter queue).",
      labelNames: ["queue"],
      registers: [this.registry],
    });
    this.returned = new Counter({
      name: "od_messages_returned_total",
      help: "In-flight messages made visible again at shutdown.",
      labelNames: ["queue"],
      registers: [this.registry],
    });
    this.receiveErrors = new Counter({
      name: "od_receive_errors_total",
      help: "Failed ReceiveMessage calls.",
      labelNames: ["queue"],
      registers: [this.registry],
    });
    this.processingSeconds = new Histogram({
      name: "od_message_processing_seconds",
      help: "Time from receiving a message to deleting it.",
      labelNames: ["queue"],
      buckets: [0.01, 0.05, 0.1, 0.25, 0.5, 1, 2.5, 5, 10, 30, 60],
      registers: [this.registry],
    });
  }

  counter(name: string, help: string, labelNames: string[] = []): Counter<string> {
    return new Counter({ name, help, labelNames, registers: [this.registry] });
  }

  histogram(name: string, help: string, buckets: number[], labelNames: string[] = []): Histogram<string> {
    return new Histogram({ name, help, buckets, labelNames, registers: [this.registry] });
  }
}
