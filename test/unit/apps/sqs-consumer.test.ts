import { Message } from "@aws-sdk/client-sqs";
import { ServiceMetrics } from "../../../apps/object-detection/lib/metrics";
import { Service } from "../../../apps/object-detection/lib/service";
import { SqsConsumer } from "../../../apps/object-detection/lib/sqs-consumer";
import { deferred, FakeSignals, memoryLogger, RecordingClient, until } from "./support";

/** A queue holding `bodies`; each ReceiveMessage hands out up to MaxNumberOfMessages, then long-polls until aborted. */
function fakeQueue(bodies: string[]) {
  const queue = bodies.map((b, i): Message => ({ MessageId: `m${i}`, ReceiptHandle: `rh-${i}`, Body: b }));
  const receives: number[] = [];
  const client = new RecordingClient(async (name, input, signal) => {
    if (name === "ReceiveMessageCommand") {
      const max = Number(input.MaxNumberOfMessages);
      receives.push(max);
      if (queue.length > 0) return { Messages: queue.splice(0, max) };
      // Long poll: nothing arrives until the consumer gives up.
      await new Promise<void>((_resolve, reject) => signal?.addEventListener("abort", () => reject(Object.assign(new Error("aborted"), { name: "AbortError" }))));
    }
    if (name === "ChangeMessageVisibilityBatchCommand") return { Successful: (input.Entries as unknown[]).map((_, i) => ({ Id: String(i) })), Failed: [] };
    return {};
  });
  return { client, receives };
}

function consumer(client: RecordingClient, handler: (m: Message, s: AbortSignal) => Promise<void>, concurrency = 2) {
  const log = memoryLogger();
  const metrics = new ServiceMetrics("test");
  const c = new SqsConsumer({ sqs: client, queueUrl: "https://sqs.eu-west-1.amazonaws.com/123456789012/jobs", queueName: "jobs", handler, logger: log.logger, metrics, concurrency, waitTimeSeconds: 20, receiveErrorBackoffMs: 10 });
  return { c, log, metrics };
}

describe("SqsConsumer", () => {
  test("deletes a message only after its handler succeeded; a failed one is left for redelivery and counted", async () => {
    const { client } = fakeQueue(["ok", "bad"]);
    const { c, metrics } = consumer(client, async (m) => {
      if (m.Body === "bad") throw new Error("boom");
    });
    c.start();
    await until("both handled", () => client.named("DeleteMessageCommand").length === 1 && c.inFlightCount === 0);
    await c.stop(100);
    expect(client.named("DeleteMessageCommand").map((d) => d.input.ReceiptHandle)).toEqual(["rh-0"]);
    const text = await metrics.registry.metrics();
    expect(text).toMatch(/od_messages_processed_total\{queue="jobs",service="test"\} 1/);
    expect(text).toMatch(/od_messages_failed_total\{queue="jobs",service="test"\} 1/);
  });

  test("never has more than `concurrency` messages in hand, and asks SQS for no more than the free slots", async () => {
    const { client, receives } = fakeQueue(["a", "b", "c", "d", "e"]);
    const gates = new Map<string, { resolve: () => void }>();
    let maxInFlight = 0;
    const { c } = consumer(
      client,
      async (m) => {
        maxInFlight = Math.max(maxInFlight, c.inFlightCount);
        const g = deferred();
        gates.set(m.Body ?? "", g);
        await g.promise;
      },
      2,
    );
    c.start();
    await until("two in hand", () => gates.size === 2);
    expect(receives).toEqual([2]);
    gates.get("a")?.resolve();
    await until("a third", () => gates.size === 3);
    expect(receives).toEqual([2, 1]);
    for (const g of gates.values()) g.resolve();
    await until("all", () => gates.size === 5);
    for (const g of gates.values()) g.resolve();
    await c.stop(100);
    expect(maxInFlight).toBeLessThanOrEqual(2);
    expect(client.named("DeleteMessageCommand")).toHaveLength(5);
  });

  test("stop(): stops polling, lets a handler that finishes in time complete, and makes the unfinished one visible again at once", async () => {
    const { client } = fakeQueue(["quick", "slow"]);
    const quick = deferred();
    const signals: AbortSignal[] = [];
    const { c, metrics } = consumer(client, async (m, signal) => {
      signals.push(signal);
      if (m.Body === "quick") await quick.promise;
      else await new Promise(() => undefined); // never finishes by itself
    });
    c.start();
    await until("both in hand", () => c.inFlightCount === 2);
    const stopping = c.stop(200);
    setTimeout(() => quick.resolve(), 20);
    const result = await stopping;
    expect(result).toEqual({ finished: 1, returned: 1 });
    expect(client.named("DeleteMessageCommand").map((d) => d.input.ReceiptHandle)).toEqual(["rh-0"]);
    const reset = client.named("ChangeMessageVisibilityBatchCommand");
    expect(reset).toHaveLength(1);
    expect(reset[0].input.Entries).toEqual([{ Id: "0", ReceiptHandle: "rh-1", VisibilityTimeout: 0 }]);
    // The unfinished handler is told to stop.
    expect(signals[1].aborted).toBe(true);
    expect(await metrics.registry.metrics()).toMatch(/od_messages_returned_total\{queue="jobs",service="test"\} 1/);
    const receivesBefore = client.named("ReceiveMessageCommand").length;
    await new Promise((r) => setTimeout(r, 30));
    expect(client.named("ReceiveMessageCommand")).toHaveLength(receivesBefore);
  });

  test("a handler that finishes after its message was returned does not delete it (another replica owns it now)", async () => {
    const { client } = fakeQueue(["late"]);
    const gate = deferred();
    const { c } = consumer(client, () => gate.promise);
    c.start();
    await until("in hand", () => c.inFlightCount === 1);
    await c.stop(10);
    gate.resolve();
    await new Promise((r) => setTimeout(r, 20));
    expect(client.named("DeleteMessageCommand")).toEqual([]);
  });

  test("a failing ReceiveMessage is logged, counted and retried after a pause", async () => {
    let calls = 0;
    const client = new RecordingClient(async (name, _input, signal) => {
      if (name !== "ReceiveMessageCommand") return {};
      calls++;
      if (calls === 1) throw Object.assign(new Error("throttled"), { name: "ThrottlingException" });
      await new Promise<void>((_r, reject) => signal?.addEventListener("abort", () => reject(new Error("aborted"))));
      return {};
    });
    const { c, log, metrics } = consumer(client, async () => undefined);
    c.start();
    await until("second receive", () => calls === 2);
    await c.stop(10);
    expect(log.lines.some((l) => l.msg === "receive failed")).toBe(true);
    expect(await metrics.registry.metrics()).toMatch(/od_receive_errors_total\{queue="jobs",service="test"\} 1/);
  });

  test("rejects a concurrency below 1 and a wait time above SQS's 20 s", () => {
    const { client } = fakeQueue([]);
    expect(() => consumer(client, async () => undefined, 0)).toThrow(/concurrency/);
    const log = memoryLogger();
    expect(
      () => new SqsConsumer({ sqs: client, queueUrl: "u", queueName: "q", handler: async () => undefined, logger: log.logger, metrics: new ServiceMetrics("t"), waitTimeSeconds: 21 }),
    ).toThrow(/waitTimeSeconds/);
  });
});

describe("Service: SIGTERM", () => {
  test("readiness fails at once, the in-flight message is returned after the drain timeout, the HTTP server closes and the process exits 0", async () => {
    const { client } = fakeQueue(["stuck"]);
    const { c, log, metrics } = consumer(client, () => new Promise(() => undefined));
    // Long enough to observe readiness during the drain.
    const signals = new FakeSignals();
    const exited = deferred<number>();
    const service = new Service({
      name: "test",
      logger: log.logger,
      metrics,
      port: 0,
      host: "127.0.0.1",
      shutdownTimeoutSeconds: 0.3,
      consumers: [c],
      signals,
      exit: (code) => exited.resolve(code),
    });
    const port = await service.start();
    await until("in hand", () => c.inFlightCount === 1);
    const ready = await fetch(`http://127.0.0.1:${port}/ready`);
    expect(ready.status).toBe(200);

    signals.emit("SIGTERM", "SIGTERM");
    expect((await fetch(`http://127.0.0.1:${port}/ready`)).status).toBe(503);
    expect(await exited.promise).toBe(0);
    expect(client.named("ChangeMessageVisibilityBatchCommand")[0].input.Entries).toEqual([{ Id: "0", ReceiptHandle: "rh-0", VisibilityTimeout: 0 }]);
    expect(log.lines.find((l) => l.msg === "stopped")).toMatchObject({ finished: 0, returned: 1 });
    await expect(fetch(`http://127.0.0.1:${port}/healthz`)).rejects.toThrow();
    // A second signal does not start a second shutdown.
    expect(signals.listenerCount("SIGTERM")).toBe(0);
  });

  test("/healthz, /ready, /readyz, /metrics and 404", async () => {
    const log = memoryLogger();
    const metrics = new ServiceMetrics("test");
    let ready = false;
    const service = new Service({ name: "t", logger: log.logger, metrics, port: 0, host: "127.0.0.1", shutdownTimeoutSeconds: 1, consumers: [], ready: async () => ready, signals: new FakeSignals(), exit: () => undefined });
    const port = await service.start();
    const base = `http://127.0.0.1:${port}`;
    expect((await fetch(`${base}/healthz`)).status).toBe(200);
    expect((await fetch(`${base}/ready`)).status).toBe(503);
    ready = true;
    // Cached for a few seconds, so a fresh server is needed to see the change; /readyz shares the cache.
    expect((await fetch(`${base}/readyz`)).status).toBe(503);
    expect(await (await fetch(`${base}/metrics`)).text()).toMatch(/od_messages_processed_total/);
    expect((await fetch(`${base}/nope`)).status).toBe(404);
    await service.shutdown("test");
  });
});
