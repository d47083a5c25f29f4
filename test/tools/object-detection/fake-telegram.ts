/**
 * The Bot API on loopback, enough for polybot: setWebhook (JSON or multipart
 * with a certificate), getFile, file download and sendMessage. Records every call.
 */
import * as http from "node:http";
import { AddressInfo } from "node:net";

export interface SentMessage {
  chatId: number;
  text: string;
}

export interface WebhookCall {
  contentType: string;
  /** The raw body: JSON fields, or multipart with the certificate part. */
  body: string;
}

export class FakeTelegram {
  readonly sent: SentMessage[] = [];
  readonly webhooks: WebhookCall[] = [];
  /** Request paths that did not carry the expected token. */
  readonly badToken: string[] = [];
  /** file_id -> bytes served for it. */
  readonly files = new Map<string, Buffer>();

  private constructor(
    private readonly server: http.Server,
    readonly url: string,
  ) {}

  static async start(token: string): Promise<FakeTelegram> {
    const self: { t?: FakeTelegram } = {};
    const server = http.createServer((req, res) => {
      const chunks: Buffer[] = [];
      req.on("data", (c: Buffer) => chunks.push(c));
      req.on("end", () => self.t?.handle(token, req, Buffer.concat(chunks), res));
    });
    await new Promise<void>((resolve) => server.listen(0, "127.0.0.1", resolve));
    self.t = new FakeTelegram(server, `http://127.0.0.1:${(server.address() as AddressInfo).port}`);
    return self.t;
  }

  private handle(token: string, req: http.IncomingMessage, body: Buffer, res: http.ServerResponse): void {
    const url = req.url ?? "/";
    const json = (status: number, v: unknown) => {
      res.writeHead(status, { "content-type": "application/json" });
      res.end(JSON.stringify(v));
    };
    const file = /^\/file\/bot([^/]+)\/photos\/(.+)$/.exec(url);
    if (file) {
      if (file[1] !== token) this.badToken.push(url);
      const bytes = this.files.get(file[2]);
      if (!bytes) return json(404, { ok: false, description: "Not Found" });
      res.writeHead(200, { "content-type": "image/jpeg", "content-length": String(bytes.length) });
      res.end(bytes);
      return;
    }
    const m = /^\/bot([^/]+)\/(\w+)$/.exec(url);
    if (!m || m[1] !== token) {
      this.badToken.push(url);
      return json(401, { ok: false, description: "Unauthorized" });
    }
    const method = m[2];
    const contentType = String(req.headers["content-type"] ?? "");
    if (method === "setWebhook") {
      this.webhooks.push({ contentType, body: body.toString("utf8") });
      return json(200, { ok: true, result: true, description: "Webhook was set" });
    }
    const params = JSON.parse(body.toString("utf8") || "{}") as Record<string, unknown>;
    if (method === "getFile") {
      const id = String(params.file_id);
      if (!this.files.has(id)) return json(400, { ok: false, description: "Bad Request: invalid file_id" });
      return json(200, { ok: true, result: { file_id: id, file_unique_id: `u-${id}`, file_path: `photos/${id}` } });
    }
    if (method === "sendMessage") {
      this.sent.push({ chatId: Number(params.chat_id), text: String(params.text) });
      return json(200, { ok: true, result: { message_id: this.sent.length, chat: { id: params.chat_id }, text: params.text } });
    }
    json(404, { ok: false, description: `Not Found: method ${method}` });
  }

  async stop(): Promise<void> {
    this.server.closeAllConnections();
    await new Promise<void>((resolve) => this.server.close(() => resolve()));
  }
}
