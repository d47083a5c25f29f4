/**
 * Settings every chart shares (the `global:` section of a values file) and their
 * parser. Per-chart values import this file, never `./values`, which imports them.
 */
import { LETS_ENCRYPT_PRODUCTION } from "../constructs/cert-issuer";
import { isDnsSubdomain, isHostName } from "../constructs/names";
import { DEFAULT_INGRESS_CLASS } from "../constructs/tls-ingress";
import { Validator } from "../lib/validate";
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

const K8S_NAME_ALLOWED = "a Kubernetes object name (lower-case letters, digits, '-' and '.')";
const REGISTRY = /[a-z0-9]([-a-z0-9.]*[a-z0-9])?(:[0-9]{1,5})?(\/[a-z0-9]+([._-][a-z0-9]+)*)*/;
const EMAIL = /[^@\s]+@[^@\s]+\.[^@\s]+/;

/** The `global:` section: settings every chart shares. */
export function parseGlobalValues(v: Validator): GlobalValues {
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

