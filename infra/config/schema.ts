/**
 * The JSON Schema of `Pulumi.<stack>.yaml`, generated from what the parsers
 * themselves read ({@link describeConfig}): one source for the checks and the
 * schema. Editors use the checked-in copy (infra/config/stack-config.schema.json,
 * remade by `npm run config-schema`) to complete and check stack files; README
 * "Configuration" shows how to wire it into VS Code's YAML extension.
 *
 * Values are accepted in every form Pulumi stores them: a key set without `--path`
 * is text (`"3"`, `'["a"]'`), one set with `--path` is typed (`3`, `true`), and a
 * secret is `{ secure: ... }`. Pure.
 */
import { isPlainObject, NumberRule, ObjectShape, Shape, StringRule, describeNumberRule, describeStringRule } from "../../lib/validate";
import { describeConfig } from "./index";
import { REGION_KEY } from "./cluster";

export type JsonSchema = Record<string, unknown>;

const SECURE: JsonSchema = {
  type: "object",
  description: "An encrypted value (`pulumi config set --secret`).",
  properties: { secure: { type: "string" } },
  required: ["secure"],
  additionalProperties: false,
};
/** Lists, maps and objects may also be given as JSON text (`pulumi config set key '<json>'`). */
const JSON_TEXT: JsonSchema = { type: "string", description: "The same value as JSON text." };

const anchored = (source: string) => `^(?:${source})$`;
/** The shape of a CIDR block (the check that its host bits are zero is the validator's). */
const CIDR_PATTERN = "^((25[0-5]|2[0-4][0-9]|1?[0-9]?[0-9])\\.){3}(25[0-5]|2[0-4][0-9]|1?[0-9]?[0-9])/([0-9]|[12][0-9]|3[0-2])$";

function stringSchema(rule: StringRule): JsonSchema {
  const description = describeStringRule(rule);
  if (rule.oneOf) return { enum: [...rule.oneOf], description };
  // Integers and booleans are read as their text (what `--path` stores for `42`, `true`).
  const out: JsonSchema = { type: ["string", "integer", "boolean"], description };
  // Unicode property classes (\p{L}) need the `u` flag, which JSON Schema patterns do not carry: left to the validator.
  if (rule.pattern && !rule.pattern.flags.includes("u")) out.pattern = anchored(rule.pattern.source);
  if (rule.maxLength !== undefined) out.maxLength = rule.maxLength;
  return out;
}

function numberSchema(rule: NumberRule): JsonSchema {
  const typed: JsonSchema = { type: rule.integer ?? true ? "integer" : "number" };
  if (rule.min !== undefined) typed.minimum = rule.min;
  if (rule.max !== undefined) typed.maximum = rule.max;
  return { description: describeNumberRule(rule), anyOf: [typed, { type: "string", pattern: "^-?[0-9]+(\\.[0-9]+)?$" }] };
}

/** The schema of one key, as its parser reads it. */
export function shapeSchema(shape: Shape): JsonSchema {
  switch (shape.kind) {
    case "string":
      return shape.secret ? { anyOf: [SECURE, stringSchema(shape.rule)], description: `${describeStringRule(shape.rule)}; a secret` } : stringSchema(shape.rule);
    case "number":
      return numberSchema(shape.rule);
    case "boolean":
      return { description: "true or false", anyOf: [{ type: "boolean" }, { enum: ["true", "false"] }] };
    case "cidr":
      return { type: "string", pattern: CIDR_PATTERN, description: "an IPv4 CIDR block such as 10.0.0.0/16" };
    case "list": {
      const array: JsonSchema = { type: "array", items: shapeSchema(shape.item) };
      if (shape.minItems) array.minItems = shape.minItems;
      if (shape.unique) array.uniqueItems = true;
      return { anyOf: [array, JSON_TEXT] };
    }
    case "map": {
      const names: JsonSchema = { type: "string" };
      if (shape.key.pattern && !shape.key.pattern.flags.includes("u")) names.pattern = anchored(shape.key.pattern.source);
      return { anyOf: [{ type: "object", propertyNames: names, additionalProperties: stringSchema(shape.value) }, JSON_TEXT] };
    }
    case "object":
      return { anyOf: [objectSchema(shape), JSON_TEXT] };
    case "objectList":
      return { anyOf: [{ type: "array", items: objectSchema(shape.item) }, JSON_TEXT] };
    case "any":
      return shape.description ? { description: shape.description } : {};
  }
}

function objectSchema(shape: ObjectShape): JsonSchema {
  const keys = shape.known ?? Object.keys(shape.properties);
  const out: JsonSchema = {
    type: "object",
    properties: Object.fromEntries(keys.map((k) => [k, shape.properties[k] ? shapeSchema(shape.properties[k]) : {}])),
    additionalProperties: shape.known === undefined,
  };
  if (shape.required.length > 0) out.required = [...shape.required];
  return out;
}

/** The schema of a whole `Pulumi.<stack>.yaml` for `project`. */
export function stackConfigSchema(project: string): JsonSchema {
  const top = describeConfig();
  const prefixed = (k: string) => `${project}:${k}`;
  const keys = top.known ?? Object.keys(top.properties);
  const properties: Record<string, JsonSchema> = {
    [REGION_KEY]: { type: "string", pattern: "^[a-z]{2,4}(-[a-z]+)+-[0-9]{1,2}$", description: "The AWS region of every resource." },
  };
  for (const k of keys) properties[prefixed(k)] = shapeSchema(top.properties[k] ?? { kind: "any" });
  return {
    $schema: "http://json-schema.org/draft-07/schema#",
    $comment: "Generated by `npm run config-schema` from infra/config (the parsers' own reads); do not edit.",
    title: `Pulumi stack configuration of ${project}`,
    type: "object",
    properties: {
      config: {
        type: "object",
        properties,
        required: top.required.map(prefixed),
        // Other namespaces (aws:*, kubernetes:*) are the providers' own; this project's must be known.
        propertyNames: { anyOf: [{ enum: Object.keys(properties) }, { not: { pattern: `^${project}:` } }] },
      },
    },
  };
}

/** Every object level of a schema with its property names (for the test that compares them with the parsers). */
export function schemaObjectKeys(schema: unknown, path = ""): { path: string; keys: string[]; closed: boolean }[] {
  if (!isPlainObject(schema)) return [];
  const out: { path: string; keys: string[]; closed: boolean }[] = [];
  if (schema.type === "object" && isPlainObject(schema.properties)) {
    out.push({ path, keys: Object.keys(schema.properties), closed: schema.additionalProperties === false });
    for (const [k, v] of Object.entries(schema.properties)) out.push(...schemaObjectKeys(v, path ? `${path}.${k}` : k));
  }
  for (const alt of (schema.anyOf as unknown[] | undefined) ?? []) out.push(...schemaObjectKeys(alt, path));
  if (isPlainObject(schema.items)) out.push(...schemaObjectKeys(schema.items, `${path}[]`));
  return out;
}
