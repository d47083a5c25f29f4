/**
 * Long-polling SQS consumer with bounded concurrency.
 *
 * At-least-once: a message is deleted only after its handler resolved. A handler
 * that throws leaves the message alone, so it comes back after the queue's
 * visibility timeout and goes to the dead-letter queue after the queue's
 * maxReceiveCount (set by Pulumi, not here).
 *
 * On {@link SqsConsumer.stop} the consumer stops polling, waits for in-flight
 * handlers up to a deadline, then makes every unfinished message visible again
 * (visibility timeout 0) so another replica takes it at once instead of after
 * the full visibility timeout.
 */
import {
  ChangeMessageVisibilityBatchCommand,
  DeleteMessageCommand,
  GetQueueAttributesCommand,
  Message,
  ReceiveMessageCommand,
} from "@aws-sdk/client-sqs";
import type { Logger } from "./logger";
import type { ServiceMetrics } from "./metrics";

/** The one method of `SQSClient` the consumer uses (a fake in unit tests). */
export interface SqsSender {
  // eslint-disable-next-line @typescript-eslint/no-explicit-any
  send(command: any, options?: { abortSignal?: AbortSignal }): Promise<any>;
}

export type MessageHandler = (message: Message, signal: AbortSignal) => Promise<void>;

export interface SqsConsumerOptions {
  readonly sqs: SqsSender;
  readonly queueUrl: string;
  /** Label of the queue in metrics and logs (not the URL: it names the account). */
  readonly queueName: string;
  readonly handler: MessageHandler;
  readonly logger: Logger;
  readonly metrics: ServiceMetrics;
  /**
   * Messages handled at once.
   * @default 4
   */
  readonly concurrency?: number;
  /**
   * Long-poll wait. SQS allows at most 20.
   * @default 20
   */
  readonly waitTimeSeconds?: number;
  /**
   * Pause after a failed ReceiveMessage call.
   * @default 2000
   */
  readonly receiveErrorBackoffMs?: number;
}

interface InFlight {
  readonly message: Message;
  readonly abort: AbortController;
  done: Promise<void>;
  settled: boolean;
  /** Set once the message was made visible again: a late finish must not delete it. */
  returned: boolean;
}

export interface StopResult {
  /** Handlers that finished (successfully or not) before the deadline. */
  readonly finished: number;
  /** Messages made visible again. */
  readonly returned: number;
}

export class SqsConsumer {
  private readonly concurrency: number;
  private readonly waitTimeSeconds: number;
  private readonly backoffMs: number;
  private readonly inFlight = new Map<string, InFlight>();
  private readonly pollAbort = new AbortController();
  private stopping = false;
  private loop?: Promise<void>;
  private slotFreed?: () => void;
  private finishedCount = 0;

  constructor(private readonly o: SqsConsumerOptions) {
    this.concurrency = o.concurrency ?? 4;
    this.waitTimeSeconds = o.waitTimeSeconds ?? 20;
    this.backoffMs = o.receiveErrorBackoffMs ?? 2000;
    if (!Number.isInteger(this.concurrency) || this.concurrency < 1) throw new Error(`concurrency: got ${this.concurrency}; allowed: an integer >= 1`);
    if (this.waitTimeSeconds < 0 || this.waitTimeSeconds > 20) throw new Error(`waitTimeSeconds: got ${this.waitTimeSeconds}; allowed: 0 to 20`);
  }

  get inFlightCount(): number {
    return this.inFlight.size;
  }

  start(): void {
    if (this.loop) return;
    this.loop = this.run();
  }

  /** Readiness: the queue answers. */
  async reachable(): Promise<boolean> {
    try {
      await this.o.sqs.send(new GetQueueAttributesCommand({ QueueUrl: this.o.queueUrl, AttributeNames: ["QueueArn"] }));
      return true;
    } catch (e) {
      this.o.logger.warn("queue not reachable", { queue: this.o.queueName, error: e });
      return false;
    }
  }

  private async run(): Promise<void> {
    while (!this.stopping) {
      if (this.inFlight.size >= this.concurrency) {
        await new Promise<void>((resolve) => (this.slotFreed = resolve));
        continue;
      }
      let messages: Message[];
      try {
        const out = await this.o.sqs.send(
          new ReceiveMessageCommand({
            QueueUrl: this.o.queueUrl,
            MaxNumberOfMessages: Math.min(10, this.concurrency - this.inFlight.size),
            WaitTimeSeconds: this.waitTimeSeconds,
            MessageSystemAttributeNames: ["ApproximateReceiveCount"],
          }),
          { abortSignal: this.pollAbort.signal },
        );
        messages = out.Messages ?? [];
      } catch (e) {
        if (this.stopping) break;
        this.o.metrics.receiveErrors.inc({ queue: this.o.queueName });
        this.o.logger.error("receive failed", { queue: this.o.queueName, error: e });
        await this.pause(this.backoffMs);
        continue;
      }
      for (const m of messages) this.launch(m);
    }
  }

  private pause(ms: number): Promise<void> {
    return new Promise((resolve) => {
      const t = setTimeout(resolve, ms);
      this.pollAbort.signal.addEventListener("abort", () => {
        clearTimeout(t);
        resolve();
      });
    });
  }

  private launch(message: Message): void {
    const id = message.MessageId ?? message.ReceiptHandle ?? String(Math.random());
    const abort = new AbortController();
    const started = process.hrtime.bigint();
    const labels = { queue: this.o.queueName };
    const log = this.o.logger.child({ queue: this.o.queueName, messageId: message.MessageId, receiveCount: Number(message.Attributes?.ApproximateReceiveCount ?? 0) });
    const entry: InFlight = { message, abort, settled: false, returned: false, done: Promise.resolve() };
    this.inFlight.set(id, entry);
    const work = async () => {
      try {
        await this.o.handler(message, abort.signal);
      } catch (e) {
        this.o.metrics.failed.inc(labels);
        log.error("message handling failed; left for redelivery", { error: e });
        return;
      }
      if (entry.returned) return;
      try {
        await this.o.sqs.send(new DeleteMessageCommand({ QueueUrl: this.o.queueUrl, ReceiptHandle: message.ReceiptHandle }));
        this.o.metrics.processed.inc(labels);
        this.o.metrics.processingSeconds.observe(labels, Number(process.hrtime.bigint() - started) / 1e9);
      } catch (e) {
        // The work is done but the message comes back: handlers are idempotent or tolerate a repeat.
        this.o.metrics.failed.inc(labels);
        log.error("delete failed; the message will be redelivered", { error: e });
      }
    };
    entry.done = work().finally(() => {
      entry.settled = true;
      this.inFlight.delete(id);
      this.finishedCount++;
      const wake = this.slotFreed;
      this.slotFreed = undefined;
      wake?.();
    });
  }

  /**
   * Stop polling, wait up to `timeoutMs` for in-flight handlers, then make the
   * rest visible again. Never throws.
   */
  async stop(timeoutMs: number): Promise<StopResult> {
    this.stopping = true;
    this.pollAbort.abort();
    const wake = this.slotFreed;
    this.slotFreed = undefined;
    wake?.();
    await this.loop;
    const before = this.finishedCount;
    const pending = [...this.inFlight.values()];
    let timer: NodeJS.Timeout | undefined;
    await Promise.race([
      Promise.all(pending.map((p) => p.done)),
      new Promise<void>((resolve) => (timer = setTimeout(resolve, timeoutMs))),
    ]);
    clearTimeout(timer);
    const unfinished = [...this.inFlight.values()].filter((p) => !p.settled);
    for (const p of unfinished) {
      p.returned = true;
      p.abort.abort();
    }
    let returned = 0;
    for (let i = 0; i < unfinished.length; i += 10) {
      const batch = unfinished.slice(i, i + 10);
      try {
        const out = await this.o.sqs.send(
          new ChangeMessageVisibilityBatchCommand({
            QueueUrl: this.o.queueUrl,
            Entries: batch.map((p, j) => ({ Id: String(j), ReceiptHandle: p.message.ReceiptHandle, VisibilityTimeout: 0 })),
          }),
        );
        returned += batch.length - (out?.Failed?.length ?? 0);
      } catch (e) {
        // They still come back, after the visibility timeout.
        this.o.logger.error("could not return in-flight messages", { queue: this.o.queueName, count: batch.length, error: e });
      }
    }
    this.o.metrics.returned.inc({ queue: this.o.queueName }, returned);
    return { finished: this.finishedCount - before, returned };
  }
}
