/**
 * The few Bot API calls polybot makes. The token is part of every URL, so
 * errors never carry the URL, and the logger redacts the token anyway.
 */
import * as fs from "node:fs";

export interface TelegramOptions {
  /** https://api.telegram.org, or a fake in tests. */
  readonly apiUrl: string;
  readonly token: string;
  /** Per-call timeout. */
  readonly timeoutMs?: number;
}

export class TelegramError extends Error {
  constructor(
    readonly method: string,
    readonly status: number,
    description: string,
  ) {
    super(`Telegram ${method} failed (HTTP ${status}): ${description}`);
    this.name = "TelegramError";
  }
}

export interface WebhookRegistration {
  /** Public https URL Telegram posts updates to. */
  readonly url: string;
  /** Echoed by Telegram in X-Telegram-Bot-Api-Secret-Token. */
  readonly secretToken: string;
  /** PEM of a self-signed certificate, uploaded so Telegram trusts it; omitted for publicly trusted (ACME) certificates. */
  readonly certificatePem?: string;
}

export class Telegram {
  constructor(private readonly o: TelegramOptions) {}

  private method(name: string): string {
    return `${this.o.apiUrl.replace(/\/$/, "")}/bot${this.o.token}/${name}`;
  }

  private async call<T>(name: string, init: { json?: unknown; form?: FormData }): Promise<T> {
    const res = await fetch(this.method(name), {
      method: "POST",
      headers: init.json !== undefined ? { "content-type": "application/json" } : undefined,
      body: init.json !== undefined ? JSON.stringify(init.json) : init.form,
      signal: AbortSignal.timeout(this.o.timeoutMs ?? 15_000),
    }).catch((e: unknown) => {
      throw new TelegramError(name, 0, e instanceof Error ? e.name : "network error");
    });
    const text = await res.text();
    let parsed: { ok?: boolean; result?: T; description?: string } = {};
    try {
      parsed = JSON.parse(text) as typeof parsed;
    } catch {
      // A proxy's HTML error page: keep the status only.
    }
    if (!res.ok || parsed.ok !== true) throw new TelegramError(name, res.status, (parsed.description ?? "no description").slice(0, 200));
    return parsed.result as T;
  }

  async setWebhook(r: WebhookRegistration): Promise<void> {
    const fields: Record<string, string> = {
      url: r.url,
      secret_token: r.secretToken,
      allowed_updates: JSON.stringify(["message"]),
    };
    if (r.certificatePem === undefined) {
      await this.call("setWebhook", { json: { ...fields, allowed_updates: ["message"] } });
      return;
    }
    // Telegram's webhook guide: a self-signed certificate is sent as a file in multipart/form-data.
    const form = new FormData();
    for (const [k, v] of Object.entries(fields)) form.append(k, v);
    form.append("certificate", new Blob([r.certificatePem], { type: "application/x-pem-file" }), "cert.pem");
    await this.call("setWebhook", { form });
  }

  async getFilePath(fileId: string): Promise<string> {
    const f = await this.call<{ file_path?: string }>("getFile", { json: { file_id: fileId } });
    if (!f.file_path) throw new TelegramError("getFile", 200, "no file_path (file too large for the Bot API?)");
    return f.file_path;
  }

  async downloadFile(filePath: string, maxBytes: number): Promise<Uint8Array> {
    const url = `${this.o.apiUrl.replace(/\/$/, "")}/file/bot${this.o.token}/${filePath}`;
    const res = await fetch(url, { signal: AbortSignal.timeout(this.o.timeoutMs ?? 30_000) }).catch((e: unknown) => {
      throw new TelegramError("file download", 0, e instanceof Error ? e.name : "network error");
    });
    if (!res.ok) throw new TelegramError("file download", res.status, "not found");
    const length = Number(res.headers.get("content-length") ?? 0);
    if (length > maxBytes) throw new TelegramError("file download", res.status, `file of ${length} bytes exceeds ${maxBytes}`);
    const bytes = new Uint8Array(await res.arrayBuffer());
    if (bytes.length > maxBytes) throw new TelegramError("file download", res.status, `file of ${bytes.length} bytes exceeds ${maxBytes}`);
    return bytes;
  }

  async sendMessage(chatId: number, text: string, replyToMessageId?: number): Promise<void> {
    await this.call("sendMessage", {
      json: {
        chat_id: chatId,
        text,
        ...(replyToMessageId !== undefined ? { reply_parameters: { message_id: replyToMessageId, allow_sending_without_reply: true } } : {}),
      },
    });
  }
}

export function readCertificate(path: string): string {
  const pem = fs.readFileSync(path, "utf8");
  if (!pem.includes("-----BEGIN CERTIFICATE-----")) throw new Error(`${path}: not a PEM certificate`);
  return pem;
}
