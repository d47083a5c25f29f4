/**
 * JSON lines on stdout, one object per event, for FluentD to ship. Strings
 * registered with {@link Logger.redact} (bot token, webhook secret) are replaced
 * wherever they appear, so an error message that embeds a URL cannot leak them.
 */
export type Level = "debug" | "info" | "warn" | "error";

export type Fields = Record<string, unknown>;

export interface LogSink {
  write(line: string): void;
}

export class Logger {
  private readonly secrets: string[];

  constructor(
    private readonly service: string,
    private readonly sink: LogSink = { write: (l) => process.stdout.write(l) },
    private readonly base: Fields = {},
    secrets: string[] = [],
  ) {
    this.secrets = secrets;
  }

  /** Never log this value; shared with child loggers. */
  redact(secret: string): void {
    // Short strings would blank out ordinary words.
    if (secret.length >= 8 && !this.secrets.includes(secret)) this.secrets.push(secret);
  }

  child(fields: Fields): Logger {
    return new Logger(this.service, this.sink, { ...this.base, ...fields }, this.secrets);
  }

  debug(msg: string, fields?: Fields): void {
    this.log("debug", msg, fields);
  }
  info(msg: string, fields?: Fields): void {
    this.log("info", msg, fields);
  }
  warn(msg: string, fields?: Fields): void {
    this.log("warn", msg, fields);
  }
  error(msg: string, fields?: Fields): void {
    this.log("error", msg, fields);
  }

  private log(level: Level, msg: string, fields: Fields = {}): void {
    const entry = { time: new Date().toISOString(), level, service: this.service, msg, ...this.base, ...fields };
    let line = JSON.stringify(entry, (_k, v: unknown) => (v instanceof Error ? errorFields(v) : v));
    for (const s of this.secrets) line = line.split(s).join("[REDACTED]");
    this.sink.write(line + "\n");
  }
}

function errorFields(e: Error): Record<string, unknown> {
  // No stack: one line per event keeps log search usable, and the name and message identify the failure.
  return { name: e.name, message: e.message };
}
