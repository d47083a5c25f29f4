/**
 * Validation primitives shared by the stack configuration (infra/config) and the
 * chart values file (charts/values). Pure: no Pulumi, no cdk8s, no I/O, so that
 * `npm run synth` can use it offline.
 *
 * Readers never throw on bad input: they record a {@link Problem} and return the
 * default, so one run reports every problem at once. Callers finish with
 * {@link Validator.throwIfProblems} before declaring anything.
 *
 * The same reads also describe the input: a validator made with
 * {@link Validator.recording} reads nothing and records, for every key a parser
 * asks for, what it accepts ({@link Shape}). The stack configuration's JSON Schema
 * is generated from that record, so the schema and the checks have one source.
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

/**
 * What one key accepts, as the parser that reads it asked for it. Recorded by a
 * {@link Validator.recording} validator; pure data (no functions), so that a JSON
 * Schema can be generated from it.
 */
export type Shape =
  | { readonly kind: "string"; readonly rule: StringRule; readonly secret?: boolean }
  | { readonly kind: "number"; readonly rule: NumberRule }
  | { readonly kind: "boolean" }
  | { readonly kind: "cidr" }
  | { readonly kind: "list"; readonly item: Shape; readonly minItems?: number; readonly unique?: boolean }
  | { readonly kind: "map"; readonly key: StringRule; readonly value: StringRule }
  | ObjectShape
  | { readonly kind: "objectList"; readonly item: ObjectShape }
  /** Read raw: the parser checks it by hand, or it is a document of its own (chart values). */
  | { readonly kind: "any"; readonly description?: string };

export interface ObjectShape {
  readonly kind: "object";
  readonly properties: Record<string, Shape>;
  /** Keys that must be set. */
  readonly required: string[];
  /** The keys `rejectUnknownKeys` accepts; undefined when the parser accepts any. */
  known?: readonly string[];
}

export function objectShape(): ObjectShape {
  return { kind: "object", properties: {}, required: [] };
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
    /** Set on a {@link recording} validator: what the reads ask for is written here. */
    readonly shape?: ObjectShape,
  ) {
    this.sink = sink ?? [];
  }

  /**
   * A validator over nothing that records what each read accepts into `shape`.
   * Run a parser with it to describe the input the parser takes.
   */
  static recording(shape: ObjectShape = objectShape()): Validator {
    return new Validator({}, "", [], shape);
  }

  get isRecording(): boolean {
    return this.shape !== undefined;
  }

  /** Records what `key` accepts when recording (the first description of a key wins). */
  note(key: string, shape: Shape): void {
    if (this.shape && !(key in this.shape.properties)) this.shape.properties[key] = shape;
  }

  private child(source: Record<string, unknown>, path: string, key: string, list = false): Validator {
    if (!this.shape) return new Validator(source, path, this.sink);
    const existing = this.shape.properties[key];
    let shape: ObjectShape;
    if (existing?.kind === "object") shape = existing;
    else if (existing?.kind === "objectList") shape = existing.item;
    else {
      shape = objectShape();
      this.shape.properties[key] = list ? { kind: "objectList", item: shape } : shape;
    }
    return new Validator(source, path, this.sink, shape);
  }

  get problems(): readonly Problem[] {
    return this.sink;
  }

  keyPath(key: string): string {
    return this.path ? `${this.path}.${key}` : key;
  }

  raw(key: string): unknown {
    this.note(key, { kind: "any" });
    return this.source[key];
  }

  has(key: string): boolean {
    return this.source[key] !== undefined && this.source[key] !== null;
  }

  /** Records a problem at `key` (relative to this validator's path). */
  fail(key: string, value: unknown, allowed: string): void {
    // A missing value reported while recording (which reads nothing) marks a required key.
    if (this.shape && value === undefined && !this.shape.required.includes(key)) this.shape.required.push(key);
    this.sink.push({ key: this.keyPath(key), value, allowed });
  }

  /** Records a problem whose key is already a full path. */
  failAt(fullKey: string, value: unknown, allowed: string): void {
    this.sink.push({ key: fullKey, value, allowed });
  }

  string(key: string, fallback: string, rule?: StringRule): string;
  string(key: string, fallback: undefined, rule?: StringRule): string | undefined;
  string(key: string, fallback: string | undefined, rule: StringRule = {}): string | undefined {
    this.note(key, { kind: "string", rule });
    const value = scalarText(this.source[key]);
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
    this.note(key, { kind: "string", rule });
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
    this.note(key, { kind: "number", rule });
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
    this.note(key, { kind: "boolean" });
    const value = this.source[key];
    if (value === undefined || value === null) return fallback;
    if (value === true || value === "true") return true;
    if (value === false || value === "false") return false;
    this.fail(key, value, "true or false");
    return fallback;
  }

  cidr(key: string, fallback: string): string {
    this.note(key, { kind: "cidr" });
    const value = this.source[key];
    if (value === undefined || value === null) return fallback;
    if (typeof value !== "string" || !isCidr(value)) {
      this.fail(key, value, "an IPv4 CIDR block with its network address, such as 10.0.0.0/16");
      return fallback;
    }
    return value;
  }

  /**
   * A list of strings, each checked against `rule`. With `unique`, an entry equal to
   * an earlier one is reported (and dropped): the entries name resources, and two
   * resources with one name stop `pulumi up` half-way.
   */
  stringList(key: string, fallback: readonly string[], rule: StringRule & { minItems?: number; unique?: boolean } = {}): string[] {
    this.note(key, { kind: "list", item: { kind: "string", rule }, minItems: rule.minItems, unique: rule.unique });
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
    const firstIndex = new Map<string, number>();
    list.forEach((raw, i) => {
      const item = scalarText(raw);
      const ok = checkString(item, rule);
      if (!ok.ok) {
        this.failAt(`${this.keyPath(key)}[${i}]`, item, ok.allowed);
        return;
      }
      const first = firstIndex.get(item as string);
      if (rule.unique && first !== undefined) {
        this.failAt(`${this.keyPath(key)}[${i}]`, item, `an entry not already in the list (${this.keyPath(key)}[${first}] is the same); each entry becomes a resource of its own`);
        return;
      }
      firstIndex.set(item as string, i);
      out.push(item as string);
    });
    return out;
  }

  /** A list of CIDR blocks, each listed once (each becomes a security group rule). */
  cidrList(key: string, fallback: readonly string[], minItems = 0): string[] {
    this.note(key, { kind: "list", item: { kind: "cidr" }, minItems, unique: true });
    const problemsBefore = this.sink.length;
    const list = this.stringList(key, fallback, { minItems, allowed: "an IPv4 CIDR block such as 203.0.113.0/24" });
    const checked = list.filter((item) => {
      if (isCidr(item)) return true;
      const i = this.list(key)?.findIndex((x) => scalarText(x) === item) ?? -1;
      this.failAt(`${this.keyPath(key)}[${i}]`, item, "an IPv4 CIDR block with its network address, such as 203.0.113.0/24");
      return false;
    });
    if (this.sink.length > problemsBefore) return checked;
    // Same block twice: reported where the user wrote the repeat.
    const seen = new Map<string, number>();
    return checked.filter((item, i) => {
      const first = seen.get(item);
      if (first === undefined) {
        seen.set(item, i);
        return true;
      }
      this.failAt(`${this.keyPath(key)}[${i}]`, item, `a block not already in the list (${this.keyPath(key)}[${first}] is the same); each entry becomes a security group rule of its own`);
      return false;
    });
  }

  /** A string-to-string map, each key and value checked. */
  stringMap(
    key: string,
    fallback: Readonly<Record<string, string>>,
    rules: { key?: StringRule; value?: StringRule } = {},
  ): Record<string, string> {
    this.note(key, { kind: "map", key: rules.key ?? {}, value: rules.value ?? {} });
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
      const text = scalarText(v);
      const valueOk = checkString(text, rules.value ?? {});
      if (!valueOk.ok) {
        this.failAt(`${this.keyPath(key)}["${k}"]`, v, valueOk.allowed);
        continue;
      }
      out[k] = text as string;
    }
    return out;
  }

  /** A nested object, validated by a child that shares this problem list. */
  object(key: string): Validator | undefined {
    if (this.shape) return this.child({}, this.keyPath(key), key);
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

  /**
   * A list of objects, one child validator per item. `label` adds to an item's key
   * path (e.g. the pool name in `nodePools[1](gpu)`); `allowed` describes the list.
   * While recording, one child describes every item.
   */
  objectList(
    key: string,
    opts: { label?: (item: Record<string, unknown>) => string; allowed?: string } = {},
  ): Validator[] | undefined {
    if (this.shape) return [this.child({}, `${this.keyPath(key)}[]`, key, true)];
    const value = this.source[key];
    if (value === undefined || value === null) return undefined;
    const list = parseMaybeJson(value);
    if (!Array.isArray(list)) {
      this.fail(key, value, opts.allowed ?? "a list of objects");
      return undefined;
    }
    const out: Validator[] = [];
    list.forEach((item, i) => {
      const path = `${this.keyPath(key)}[${i}]`;
      if (isPlainObject(item)) out.push(new Validator(item, path + (opts.label?.(item) ?? ""), this.sink));
      else this.failAt(path, item, "an object (a map of keys to values)");
    });
    return out;
  }

  /** The list at `key` as given (parsed from JSON text), or undefined when it is not a list. */
  list(key: string): unknown[] | undefined {
    const list = parseMaybeJson(this.source[key]);
    return Array.isArray(list) ? list : undefined;
  }

  /** How many items the list at `key` holds (0 when it is not a list). */
  listLength(key: string): number {
    return this.list(key)?.length ?? 0;
  }

  /** Records a problem for every key not in `known` (catches typos). */
  rejectUnknownKeys(known: readonly string[]): void {
    if (this.shape) this.shape.known = [...known];
    for (const key of Object.keys(this.source)) {
      if (!known.includes(key)) this.fail(key, this.source[key], `a known key (one of: ${known.join(", ")})`);
    }
  }

  /** Throws a {@link ConfigError} carrying every recorded problem, if any. */
  throwIfProblems(sourceName: string): void {
    if (this.sink.length > 0) throw new ConfigError(sourceName, [...this.sink]);
  }
}

/**
 * Integers and booleans as text: `pulumi config set --path` stores `42` and `true` as
 * a JSON number and boolean, and a YAML file reads them so too, where the key means
 * the text. Other numbers stay numbers (and are refused): `1.10` would become "1.1".
 */
export function scalarText(value: unknown): unknown {
  if (typeof value === "boolean" || (typeof value === "number" && Number.isSafeInteger(value))) return String(value);
  return value;
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

export function describeStringRule(rule: StringRule): string {
  if (rule.allowed) return rule.allowed;
  if (rule.oneOf) return `one of ${rule.oneOf.map((v) => JSON.stringify(v)).join(", ")}`;
  const parts = ["a string"];
  if (rule.maxLength !== undefined) parts.push(`of at most ${rule.maxLength} characters`);
  return parts.join(" ");
}

export function describeNumberRule(rule: NumberRule): string {
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
