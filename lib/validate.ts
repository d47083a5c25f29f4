/**
 * Validation primitives shared by the stack configuration (infra/config) and the
 * chart values file (charts/values). Pure: no Pulumi, no cdk8s, no I/O, so that
 * `npm run synth` can use it offline.
 *
 * Readers never throw on bad input: they record a {@link Problem} and return the
 * default, so one run reports every problem at once. Callers finish with
 * {@link Validator.throwIfProblems} before declaring anything.
 */
import { isCidr } from "./cidr";

export interface Problem {
  /** Dotted path of the offending key, e.g. `nodePools[1].maxSize`. */
  readonly key: string;
  readonly value: unknown;
  /** What would have been accepted, phrased to complete "allowed: ...". */
  readonly allowed: string;
}

export function formatProblem(p: Problem): string {
  return `${p.key}: got ${describe(p.value)}; allowed: ${p.allowed}`;
}

function describe(value: unknown): string {
  if (value === undefined) return "nothing (the key is missing)";
  const text = JSON.stringify(value);
  return text === undefined ? String(value) : text;
}

/** Thrown once, after validation, with every problem found. */
export class ConfigError extends Error {
  constructor(
    /** Where the values came from, e.g. `stack configuration` or a file path. */
    readonly source: string,
    readonly problems: readonly Problem[],
  ) {
    super(
      `Invalid ${source} (${problems.length} problem${problems.length === 1 ? "" : "s"}); nothing was created:\n` +
        problems.map((p) => `  - ${formatProblem(p)}`).join("\n"),
    );
    this.name = "ConfigError";
  }
}

export interface StringRule {
  /** Regular expression the whole value must match. */
  pattern?: RegExp;
  /** Closed set of accepted values. */
  oneOf?: readonly string[];
  maxLength?: number;
  /** Human description of what is allowed; required when `pattern` is set. */
  allowed?: string;
}

export interface NumberRule {
  min?: number;
  max?: number;
  /** @default true */
  integer?: boolean;
}

/**
 * Reads typed values out of an untyped object (parsed YAML/JSON or stack
 * config), recording problems under dotted key paths.
 */
export class Validator {
  private readonly sink: Problem[];

  constructor(
    private readonly source: Readonly<Record<string, unknown>>,
    /** Key path prefix for nested objects, e.g. `nodePools[0]`. */
    readonly path = "",
    sink?: Problem[],
  ) {
    this.sink = sink ?? [];
  }

  get problems(): readonly Problem[] {
    return this.sink;
  }

  keyPath(key: string): string {
    return this.path ? `${this.path}.${key}` : key;
  }

  raw(key: string): unknown {
    return this.source[key];
  }

  has(key: string): boolean {
    return this.source[key] !== undefined && this.source[key] !== null;
  }

  /** Records a problem at `key` (relative to this validator's path). */
  fail(key: string, value: unknown, allowed: string): void {
    this.sink.push({ key: this.keyPath(key), value, allowed });
  }

  /** Records a problem whose key is already a full path. */
  failAt(fullKey: string, value: unknown, allowed: string): void {
    this.sink.push({ key: fullKey, value, allowed });
  }

  string(key: string, fallback: string, rule?: StringRule): string;
  string(key: string, fallback: undefined, rule?: StringRule): string | undefined;
  string(key: string, fallback: string | undefined, rule: StringRule = {}): string | undefined {
    const value = this.source[key];
    if (value === undefined || value === null) return fallback;
    const ok = checkString(value, rule);
    if (!ok.ok) {
      this.fail(key, value, ok.allowed);
      return fallback;
    }
    return value as string;
  }

  /** A string that must be present. */
  requiredString(key: string, rule: StringRule = {}): string {
    const value = this.source[key];
    if (value === undefined || value === null || value === "") {
      this.fail(key, value, `a value must be set (${describeStringRule(rule)})`);
      return "";
    }
    return this.string(key, "", rule);
  }

  number(key: string, fallback: number, rule?: NumberRule): number;
  number(key: string, fallback: undefined, rule?: NumberRule): number | undefined;
  number(key: string, fallback: number | undefined, rule: NumberRule = {}): number | undefined {
    let value = this.source[key];
    if (value === undefined || value === null) return fallback;
    // Stack config delivers every scalar as a string.
    if (typeof value === "string" && value.trim() !== "" && !Number.isNaN(Number(value))) value = Number(value);
    const integer = rule.integer ?? true;
    const allowed = describeNumberRule(rule);
    if (typeof value !== "number" || !Number.isFinite(value) || (integer && !Number.isInteger(value))) {
      this.fail(key, this.source[key], allowed);
      return fallback;
    }
    if ((rule.min !== undefined && value < rule.min) || (rule.max !== undefined && value > rule.max)) {
      this.fail(key, value, allowed);
      return fallback;
    }
    return value;
  }

  boolean(key: string, fallback: boolean): boolean {
    const value = this.source[key];
    if (value === undefined || value === null) return fallback;
    if (value === true || value === "true") return true;
    if (value === false || value === "false") return false;
    this.fail(key, value, "true or false");
    return fallback;
  }

  cidr(key: string, fallback: string): string {
    const value = this.source[key];
    if (value === undefined || value === null) return fallback;
    if (typeof value !== "string" || !isCidr(value)) {
      this.fail(key, value, "an IPv4 CIDR block with its network address, such as 10.0.0.0/16");
      return fallback;
    }
    return value;
  }

  /** A list of strings, each checked against `rule`. */
  stringList(key: string, fallback: readonly string[], rule: StringRule & { minItems?: number } = {}): string[] {
    const value = this.source[key];
    if (value === undefined || value === null) {
      if (rule.minItems !== undefined && fallback.length < rule.minItems) {
        this.fail(key, value, `a list of at least ${rule.minItems} item(s), each ${describeStringRule(rule)}`);
      }
      return [...fallback];
    }
    const list = parseMaybeJson(value);
    if (!Array.isArray(list)) {
      this.fail(key, value, `a list, each item ${describeStringRule(rule)}`);
      return [...fallback];
    }
    if (rule.minItems !== undefined && list.length < rule.minItems) {
      this.fail(key, list, `a list of at least ${rule.minItems} item(s), each ${describeStringRule(rule)}`);
    }
    const out: string[] = [];
    list.forEach((item, i) => {
      const ok = checkString(item, rule);
      if (ok.ok) out.push(item as string);
      else this.failAt(`${this.keyPath(key)}[${i}]`, item, ok.allowed);
    });
    return out;
  }

  /** A list of CIDR blocks. */
  cidrList(key: string, fallback: readonly string[], minItems = 0): string[] {
    const list = this.stringList(key, fallback, { minItems, allowed: "an IPv4 CIDR block such as 203.0.113.0/24" });
    return list.filter((item, i) => {
      if (isCidr(item)) return true;
      this.failAt(`${this.keyPath(key)}[${i}]`, item, "an IPv4 CIDR block with its network address, such as 203.0.113.0/24");
      return false;
    });
  }

  /** A string-to-string map, each key and value checked. */
  stringMap(
    key: string,
    fallback: Readonly<Record<string, string>>,
    rules: { key?: StringRule; value?: StringRule } = {},
  ): Record<string, string> {
    const value = this.source[key];
    if (value === undefined || value === null) return { ...fallback };
    const map = parseMaybeJson(value);
    if (!isPlainObject(map)) {
      this.fail(key, value, "a map of string keys to string values");
      return { ...fallback };
    }
    const out: Record<string, string> = {};
    for (const [k, v] of Object.entries(map)) {
      const keyOk = checkString(k, rules.key ?? {});
      if (!keyOk.ok) {
        this.failAt(`${this.keyPath(key)}["${k}"]`, k, `a key that is ${keyOk.allowed}`);
        continue;
      }
      const valueOk = checkString(v, rules.value ?? {});
      if (!valueOk.ok) {
        this.failAt(`${this.keyPath(key)}["${k}"]`, v, valueOk.allowed);
        continue;
      }
      out[k] = v as string;
    }
    return out;
  }

  /** A nested object, validated by a child that shares this problem list. */
  object(key: string): Validator | undefined {
    const value = this.source[key];
    if (value === undefined || value === null) return undefined;
    const obj = parseMaybeJson(value);
    if (!isPlainObject(obj)) {
      this.fail(key, value, "an object (a map of keys to values)");
      return undefined;
    }
    return new Validator(obj, this.keyPath(key), this.sink);
  }

  /**
   * Like {@link object}, but an absent key yields an empty child rather than
   * undefined, so defaults apply and problems still reach this validator's list.
   */
  section(key: string): Validator {
    return this.object(key) ?? new Validator({}, this.keyPath(key), this.sink);
  }

  /** A list of objects, one child validator per item. */
  objectList(key: string): Validator[] | undefined {
    const value = this.source[key];
    if (value === undefined || value === null) return undefined;
    const list = parseMaybeJson(value);
    if (!Array.isArray(list)) {
      this.fail(key, value, "a list of objects");
      return undefined;
    }
    const out: Validator[] = [];
    list.forEach((item, i) => {
      const path = `${this.keyPath(key)}[${i}]`;
      if (isPlainObject(item)) out.push(new Validator(item, path, this.sink));
      else this.failAt(path, item, "an object (a map of keys to values)");
    });
    return out;
  }

  /** Records a problem for every key not in `known` (catches typos). */
  rejectUnknownKeys(known: readonly string[]): void {
    for (const key of Object.keys(this.source)) {
      if (!known.includes(key)) this.fail(key, this.source[key], `a known key (one of: ${known.join(", ")})`);
    }
  }

  /** Throws a {@link ConfigError} carrying every recorded problem, if any. */
  throwIfProblems(sourceName: string): void {
    if (this.sink.length > 0) throw new ConfigError(sourceName, [...this.sink]);
  }
}

function checkString(value: unknown, rule: StringRule): { ok: true } | { ok: false; allowed: string } {
  const allowed = describeStringRule(rule);
  if (typeof value !== "string") return { ok: false, allowed };
  if (rule.oneOf && !rule.oneOf.includes(value)) return { ok: false, allowed };
  if (rule.maxLength !== undefined && value.length > rule.maxLength) return { ok: false, allowed };
  if (rule.pattern && !new RegExp(`^(?:${rule.pattern.source})$`, rule.pattern.flags).test(value)) {
    return { ok: false, allowed };
  }
  return { ok: true };
}

function describeStringRule(rule: StringRule): string {
  if (rule.allowed) return rule.allowed;
  if (rule.oneOf) return `one of ${rule.oneOf.map((v) => JSON.stringify(v)).join(", ")}`;
  const parts = ["a string"];
  if (rule.maxLength !== undefined) parts.push(`of at most ${rule.maxLength} characters`);
  return parts.join(" ");
}

function describeNumberRule(rule: NumberRule): string {
  const kind = rule.integer ?? true ? "an integer" : "a number";
  if (rule.min !== undefined && rule.max !== undefined) return `${kind} from ${rule.min} to ${rule.max}`;
  if (rule.min !== undefined) return `${kind} of at least ${rule.min}`;
  if (rule.max !== undefined) return `${kind} of at most ${rule.max}`;
  return kind;
}

/** Stack config hands structured values over as JSON text. */
function parseMaybeJson(value: unknown): unknown {
  if (typeof value !== "string") return value;
  const trimmed = value.trim();
  if (!trimmed.startsWith("[") && !trimmed.startsWith("{")) return value;
  try {
    return JSON.parse(trimmed);
  } catch {
    return value;
  }
}

export function isPlainObject(value: unknown): value is Record<string, unknown> {
  return typeof value === "object" && value !== null && !Array.isArray(value);
}
