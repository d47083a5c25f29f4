/**
 * A `Pulumi.<stack>.yaml` read the way the Pulumi program receives it, without the
 * Pulumi CLI: the project's keys without their prefix, scalars at the top as text
 * (`pulumi.runtime.allConfig` hands them over so), lists and maps as JSON text with
 * the types `--path` stored inside. Encrypted values cannot be read here: they are
 * left out and named, so a check can say what it did not see. Pure.
 */
import { isPlainObject } from "../../lib/validate";
import { REGION_KEY } from "./cluster";

export interface StackFileConfig {
  /** Project keys without the `<project>:` prefix, as the program reads them. */
  readonly raw: Record<string, unknown>;
  readonly region: string | undefined;
  /** Keys (as `pulumi config set --path` writes them) whose values are encrypted. */
  readonly secrets: string[];
}

const isSecure = (value: unknown) => isPlainObject(value) && typeof value.secure === "string" && Object.keys(value).length === 1;

/** `value` without its encrypted leaves; their paths go to `secrets`. */
function withoutSecrets(value: unknown, path: string, secrets: string[]): unknown {
  if (Array.isArray(value)) return value.map((v, i) => withoutSecrets(v, `${path}[${i}]`, secrets));
  if (!isPlainObject(value)) return value;
  const out: Record<string, unknown> = {};
  for (const [k, v] of Object.entries(value)) {
    if (isSecure(v)) secrets.push(`${path}.${k}`);
    else out[k] = withoutSecrets(v, `${path}.${k}`, secrets);
  }
  return out;
}

/** The stack file's `config` map, for `project`. */
export function stackFileConfig(config: Readonly<Record<string, unknown>>, project: string): StackFileConfig {
  const prefix = `${project}:`;
  const raw: Record<string, unknown> = {};
  const secrets: string[] = [];
  for (const [fullKey, value] of Object.entries(config ?? {})) {
    if (!fullKey.startsWith(prefix)) continue;
    const key = fullKey.slice(prefix.length);
    if (isSecure(value)) {
      secrets.push(key);
      continue;
    }
    const plain = withoutSecrets(value, key, secrets);
    raw[key] = typeof plain === "object" && plain !== null ? JSON.stringify(plain) : String(plain);
  }
  const region = config?.[REGION_KEY];
  return { raw, region: typeof region === "string" ? region : undefined, secrets };
}
