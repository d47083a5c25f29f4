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
 */
import { LETS_ENCRYPT_PRODUCTION } from "../constructs/cert-issuer";
import { isDnsSubdomain, isHostName } from "../constructs/names";
import { DEFAULT_INGRESS_CLASS } from "../constructs/tls-ingress";
import { ConfigError, isPlainObject, Validator } from "../infra/config/validate";
import { parseDaskValues } from "./dask/values";
import { parseDlstreamerValues } from "./dlstreamer/values";
import { parseFluentdValues } from "./fluentd/values";
import { parseGostyValues } from "./gosty/values";
import { parseGourmetgramValues } from "./gourmetgram/values";
import { parseGrafanaValues } from "./grafana/values";
import { parseObjectDetectionValues } from "./object-detection/values";
import { parsePrometheusValues } from "./prometheus/values";
import { section } from "./values-common";

/**
 * Name of the default StorageClass the platform's EBS CSI driver add-on creates
 * (encrypted gp3). The add-on (infra) imports this constant, so charts and the
 * cluster cannot disagree.
 */
export const DEFAULT_STORAGE_CLASS = "ebs-gp3";

export { DEFAULT_INGRESS_CLASS };

/** Domain under which apps get their default host names (`<app>.<domain>`). */
export const DEFAULT_DOMAIN = "apps.example.com";

/** How Ingress certificates are issued. */
export interface TlsValues {
  /** `selfSigned` works anywhere (kind, no public DNS); `acme` gets publicly trusted certificates. */
  readonly issuer: "selfSigned" | "acme";
  /** ACME account contact; required when `issuer` is `acme`. */
  readonly acmeEmail?: string;
  readonly acmeServer: string;
}

/** Settings shared by every chart. */
export interface GlobalValues {
  /** StorageClass of every PersistentVolumeClaim. */
  readonly storageClass: string;
  /** IngressClass of every Ingress. */
  readonly ingressClass: string;
  /** Parent domain of the apps' default host names. */
  readonly domain: string;
  /**
   * Registry put in front of image references that name none (a private
   * mirror or ECR), e.g. `123456789012.dkr.ecr.eu-west-1.amazonaws.com`.
   */
  readonly imageRegistry?: string;
  readonly tls: TlsValues;
}

export const DEFAULT_GLOBAL_VALUES: GlobalValues = {
  storageClass: DEFAULT_STORAGE_CLASS,
  ingressClass: DEFAULT_INGRESS_CLASS,
  domain: DEFAULT_DOMAIN,
  tls: { issuer: "selfSigned", acmeServer: LETS_ENCRYPT_PRODUCTION },
};

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

const K8S_NAME_ALLOWED = "a Kubernetes object name (lower-case letters, digits, '-' and '.')";
const REGISTRY = /[a-z0-9]([-a-z0-9.]*[a-z0-9])?(:[0-9]{1,5})?(\/[a-z0-9]+([._-][a-z0-9]+)*)*/;
const EMAIL = /[^@\s]+@[^@\s]+\.[^@\s]+/;

function parseGlobal(v: Validator): GlobalValues {
  v.rejectUnknownKeys(["storageClass", "ingressClass", "domain", "imageRegistry", "tls"]);
  const name = (key: string, fallback: string): string => {
    const value = v.string(key, fallback, { maxLength: 253, allowed: K8S_NAME_ALLOWED });
    if (!isDnsSubdomain(value)) {
      v.fail(key, value, K8S_NAME_ALLOWED);
      return fallback;
    }
    return value;
  };
  const storageClass = name("storageClass", DEFAULT_GLOBAL_VALUES.storageClass);
  const ingressClass = name("ingressClass", DEFAULT_GLOBAL_VALUES.ingressClass);
  let domain = v.string("domain", DEFAULT_DOMAIN, { allowed: "a lower-case DNS domain such as example.com" });
  if (!isHostName(domain)) {
    v.fail("domain", domain, "a lower-case DNS domain such as example.com");
    domain = DEFAULT_DOMAIN;
  }
  const imageRegistry = v.string("imageRegistry", undefined, {
    pattern: REGISTRY,
    allowed: "a registry host with an optional port and path, such as 123456789012.dkr.ecr.eu-west-1.amazonaws.com",
  });
  const t = section(v, "tls");
  t.rejectUnknownKeys(["issuer", "acmeEmail", "acmeServer"]);
  const issuer = t.string("issuer", "selfSigned", { oneOf: ["selfSigned", "acme"] }) as TlsValues["issuer"];
  const acmeEmail = t.string("acmeEmail", undefined, { pattern: EMAIL, allowed: "an e-mail address" });
  const acmeServer = t.string("acmeServer", LETS_ENCRYPT_PRODUCTION, {
    pattern: /https:\/\/[^\s/]+\/\S*/,
    allowed: "an https:// ACME directory URL",
  });
  if (issuer === "acme" && acmeEmail === undefined && !t.has("acmeEmail")) {
    t.fail("acmeEmail", undefined, "an e-mail address (required when tls.issuer is acme)");
  }
  return { storageClass, ingressClass, domain, imageRegistry, tls: { issuer, acmeEmail, acmeServer } };
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
  const global = parseGlobal(section(v, "global"));
  const apps: Record<string, unknown> = {};
  for (const [key, parse] of Object.entries(APP_SECTIONS)) apps[key] = parse(section(v, key), global);
  v.throwIfProblems(source);
  return { global, ...apps } as PlatformValues;
}

/** The values used when no values file is given. */
export function defaultValues(): PlatformValues {
  return parseValues({}, "built-in defaults");
}
