/**
 * Configuration comes only from environment variables (the chart's ConfigMap,
 * plain `env` and Secret references). Every problem is collected and reported at
 * once, naming the variable; values of secret variables are never echoed.
 */

export class ConfigError extends Error {
  constructor(readonly problems: readonly string[]) {
    super(`invalid configuration:\n  ${problems.join("\n  ")}`);
    this.name = "ConfigError";
  }
}

export class EnvReader {
  private readonly problems: string[] = [];

  constructor(private readonly env: NodeJS.ProcessEnv = process.env) {}

  /** A required variable; `secret` keeps its value out of error messages. */
  string(name: string, opts: { default?: string; secret?: boolean } = {}): string {
    const raw = this.env[name];
    if (raw === undefined || raw.trim() === "") {
      if (opts.default !== undefined) return opts.default;
      this.problems.push(`${name}: not set; required`);
      return "";
    }
    return raw.trim();
  }

  optional(name: string): string | undefined {
    const raw = this.env[name];
    return raw === undefined || raw.trim() === "" ? undefined : raw.trim();
  }

  int(name: string, def: number, min: number, max: number): number {
    const raw = this.optional(name);
    if (raw === undefined) return def;
    const n = Number(raw);
    if (!Number.isInteger(n) || n < min || n > max) {
      this.problems.push(`${name}: got ${JSON.stringify(raw)}; allowed: an integer from ${min} to ${max}`);
      return def;
    }
    return n;
  }

  number(name: string, def: number, min: number, max: number): number {
    const raw = this.optional(name);
    if (raw === undefined) return def;
    const n = Number(raw);
    if (!Number.isFinite(n) || n < min || n > max) {
      this.problems.push(`${name}: got ${JSON.stringify(raw)}; allowed: a number from ${min} to ${max}`);
      return def;
    }
    return n;
  }

  url(name: string, opts: { default?: string } = {}): string {
    const v = this.string(name, opts);
    if (v === "") return v;
    try {
      const u = new URL(v);
      if (u.protocol !== "http:" && u.protocol !== "https:") throw new Error("scheme");
    } catch {
      this.problems.push(`${name}: got ${JSON.stringify(v)}; allowed: an http(s) URL`);
    }
    return v;
  }

  /** A value that `npm run synth` writes as a placeholder must have been replaced by Pulumi. */
  awsValue(name: string): string {
    const v = this.string(name);
    if (v.startsWith("SET-BY-PULUMI")) {
      this.problems.push(`${name}: got the synth placeholder ${JSON.stringify(v)}; allowed: the value Pulumi writes into the ConfigMap`);
    }
    return v;
  }

  /** Throws one ConfigError listing every problem seen so far. */
  done(): void {
    if (this.problems.length > 0) throw new ConfigError(this.problems);
  }
}

/** Settings every service shares. */
export interface CommonConfig {
  readonly port: number;
  /** Seconds the service may spend draining on SIGTERM before returning unfinished messages. */
  readonly shutdownTimeoutSeconds: number;
}

export function readCommon(env: EnvReader, defaultShutdownSeconds: number): CommonConfig {
  return {
    // The chart's container port and probes use 8080.
    port: env.int("PORT", 8080, 1, 65535),
    shutdownTimeoutSeconds: env.int("SHUTDOWN_TIMEOUT_SECONDS", defaultShutdownSeconds, 1, 3600),
  };
}
