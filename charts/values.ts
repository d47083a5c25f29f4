/**
 * Chart values: the one typed input of every chart. Built-in defaults produce
 * manifests for the platform on AWS; a values file (`npm run synth -- --values
 * file.yaml`, or the stack when Pulumi deploys) overrides them. Parsing is pure
 * and reports every problem at once, before any chart is constructed.
 *
 * Adding an app section:
 *   1. in `charts/<app>/values.ts` export `XxxValues` and
 *      `parseXxxValues(v: Validator, global: GlobalValues): XxxValues`
 *      (read with the helpers in `./values-common`; call `v.rejectUnknownKeys`);
 *   2. add one line to `APP_SECTIONS` below. `PlatformValues` picks up its type.
 *
 * Settings every chart shares live in `./global-values`, which imports no app section.
 */
import { ConfigError, isPlainObject, Validator } from "../lib/validate";
import { parseDaskValues } from "./dask/values";
import { parseDlstreamerValues } from "./dlstreamer/values";
import { parseFluentdValues } from "./fluentd/values";
import { parseGostyValues } from "./gosty/values";
import { parseGourmetgramValues } from "./gourmetgram/values";
import { parseGrafanaValues } from "./grafana/values";
import { parseObjectDetectionValues } from "./object-detection/values";
import { parsePrometheusValues } from "./prometheus/values";
import { GlobalValues, parseGlobalValues } from "./global-values";
import { section } from "./values-common";

/** Parsers of the app sections, by their key in the values file. */
const APP_SECTIONS = {
  objectDetection: parseObjectDetectionValues,
  prometheus: parsePrometheusValues,
  grafana: parseGrafanaValues,
  fluentd: parseFluentdValues,
  gourmetgram: parseGourmetgramValues,
  dlstreamer: parseDlstreamerValues,
  dask: parseDaskValues,
  gosty: parseGostyValues,
} satisfies Record<string, (v: Validator, global: GlobalValues) => unknown>;

type AppSections = typeof APP_SECTIONS;

export type PlatformValues = { readonly global: GlobalValues } & {
  readonly [K in keyof AppSections]: ReturnType<AppSections[K]>;
};

/** Top-level keys a values file may have. */
export function knownValuesKeys(): string[] {
  return ["global", ...Object.keys(APP_SECTIONS)];
}

/**
 * Validates a parsed values document (`undefined`/`null` for "no file") and
 * returns the complete values with defaults filled in, or throws one
 * {@link ConfigError} naming every bad key.
 */
export function parseValues(raw: unknown, source = "values file"): PlatformValues {
  if (raw === undefined || raw === null) raw = {};
  if (!isPlainObject(raw)) {
    throw new ConfigError(source, [
      { key: "(document)", value: raw, allowed: `a mapping with the keys ${knownValuesKeys().join(", ")}` },
    ]);
  }
  const v = new Validator(raw);
  v.rejectUnknownKeys(knownValuesKeys());
  const global = parseGlobalValues(section(v, "global"));
  const apps: Record<string, unknown> = {};
  for (const [key, parse] of Object.entries(APP_SECTIONS)) apps[key] = parse(section(v, key), global);
  v.throwIfProblems(source);
  return { global, ...apps } as PlatformValues;
}

/** The values used when no values file is given. */
export function defaultValues(): PlatformValues {
  return parseValues({}, "built-in defaults");
}
