/** Fakes shared by the object-detection unit tests. */
import { EventEmitter } from "node:events";
import { Logger } from "../../../apps/object-detection/lib/logger";

/** A logger whose lines are kept, parsed. */
export function memoryLogger(service = "test"): { logger: Logger; lines: Record<string, unknown>[]; raw: string[] } {
  const raw: string[] = [];
  const logger = new Logger(service, { write: (l) => raw.push(l) });
  return {
    logger,
    raw,
    get lines() {
      return raw.map((l) => JSON.parse(l) as Record<string, unknown>);
    },
  };
}

/** Records every command sent (by class name) and answers through `reply`. */
export class RecordingClient {
  readonly sent: { name: string; input: Record<string, unknown> }[] = [];
  constructor(private readonly reply: (name: string, input: Record<string, unknown>, signal?: AbortSignal) => Promise<unknown> = async () => ({})) {}

  // eslint-disable-next-line @typescript-eslint/no-explicit-any
  async send(command: any, options?: { abortSignal?: AbortSignal }): Promise<any> {
    const name = command.constructor.name as string;
    this.sent.push({ name, input: command.input });
    return this.reply(name, command.input, options?.abortSignal);
  }

  named(name: string) {
    return this.sent.filter((s) => s.name === name);
  }
}

export function deferred<T = void>() {
  let resolve!: (v: T) => void;
  let reject!: (e: unknown) => void;
  const promise = new Promise<T>((res, rej) => {
    resolve = res;
    reject = rej;
  });
  return { promise, resolve, reject };
}

export async function until(what: string, cond: () => boolean, timeoutMs = 2000): Promise<void> {
  const deadline = Date.now() + timeoutMs;
  while (!cond()) {
    if (Date.now() > deadline) throw new Error(`timed out waiting for ${what}`);
    await new Promise((r) => setTimeout(r, 5));
  }
}

export class FakeSignals extends EventEmitter {}
