/**
 * Values of the Grafana chart (`grafana:` in a values file).
 */
import { isDnsLabel } from "../../constructs/names";
import { ResourceSpec } from "../../constructs/resources";
import { Validator } from "../../lib/validate";
import { OBJECT_DETECTION_NAMESPACE } from "../object-detection/values";
import { readStorageSize } from "../prometheus/values";
import type { GlobalValues } from "../global-values";
import { readDataKey, readHost, readImage, readResources, readSecretName, section } from "../values-common";

/** Grafana OSS, pinned. Runs as UID 472 (`grafana`). */
export const DEFAULT_GRAFANA_IMAGE = "grafana/grafana:12.4.4";

/** Namespace of Grafana. */
export const GRAFANA_NAMESPACE = "grafana";
/** Name of Grafana's Deployment and label `app.kubernetes.io/name` of its pods (Prometheus admits them). */
export const GRAFANA_SERVER_NAME = "grafana";

export interface GrafanaValues {
  readonly image: string;
  /** Public host of the Grafana UI (TLS through the ingress). */
  readonly host: string;
  readonly storage: { readonly size: string; readonly storageClass: string };
  /** Existing Secret with the admin user name and password; never created by the chart. */
  readonly adminSecret: { readonly name: string; readonly userKey: string; readonly passwordKey: string };
  /**
   * Prometheus API URL for the datasource.
   * @default - the in-cluster Service of the Prometheus chart
   */
  readonly prometheusUrl?: string;
  readonly cloudwatch: {
    /** Add the CloudWatch datasource (metrics and Logs) and the SQS dashboard. */
    readonly enabled: boolean;
    /** Default region of CloudWatch queries. */
    readonly region: string;
  };
  readonly sqs: {
    /** Exact queue names for the SQS dashboard's queue picker. */
    readonly queueNames: readonly string[];
    /**
     * When `queueNames` is empty, the picker lists the region's queues whose
     * name matches this regular expression.
     */
    readonly queueNamePattern: string;
  };
  /** Namespace of the object-detection workloads shown by their dashboard. */
  readonly objectDetectionNamespace: string;
  readonly resources: ResourceSpec;
}

export const GRAFANA_DEFAULTS = {
  storageSize: "2Gi",
  adminSecret: { name: "grafana-admin", userKey: "admin-user", passwordKey: "admin-password" },
  region: "us-east-1",
  queueNamePattern: ".*",
  objectDetectionNamespace: OBJECT_DETECTION_NAMESPACE,
  resources: { cpu: { request: "100m", limit: "500m" }, memory: { request: "256Mi", limit: "512Mi" } },
} as const;

const NAMESPACE_ALLOWED = "a namespace name (a DNS label: lower-case letters, digits and '-')";
const REGION = /[a-z]{2}(-gov|-iso[a-z]?)?-[a-z]+-[0-9]/;
/** SQS queue names: up to 80 letters, digits, '-' and '_', with `.fifo` for FIFO queues. */
const QUEUE_NAME = /[A-Za-z0-9_-]{1,75}(\.fifo)?|[A-Za-z0-9_-]{1,80}/;

function readNamespace(v: Validator, key: string, fallback: string): string {
  const ns = v.string(key, fallback, { allowed: NAMESPACE_ALLOWED });
  if (!isDnsLabel(ns)) {
    v.fail(key, ns, NAMESPACE_ALLOWED);
    return fallback;
  }
  return ns;
}

export function parseGrafanaValues(v: Validator, global: GlobalValues): GrafanaValues {
  v.rejectUnknownKeys([
    "image",
    "host",
    "storage",
    "adminSecret",
    "prometheusUrl",
    "cloudwatch",
    "sqs",
    "objectDetectionNamespace",
    "resources",
  ]);
  const d = GRAFANA_DEFAULTS;

  const s = section(v, "storage");
  s.rejectUnknownKeys(["size", "storageClass"]);
  const a = section(v, "adminSecret");
  a.rejectUnknownKeys(["name", "userKey", "passwordKey"]);
  const cw = section(v, "cloudwatch");
  cw.rejectUnknownKeys(["enabled", "region"]);
  const q = section(v, "sqs");
  q.rejectUnknownKeys(["queueNames", "queueNamePattern"]);

  const pattern = q.string("queueNamePattern", d.queueNamePattern, { maxLength: 200 });
  let queueNamePattern = pattern;
  try {
    new RegExp(pattern);
  } catch {
    q.fail("queueNamePattern", pattern, "a regular expression such as ^prod-.*");
    queueNamePattern = d.queueNamePattern;
  }

  return {
    image: readImage(v, "image", DEFAULT_GRAFANA_IMAGE, global.imageRegistry),
    host: readHost(v, "host", `grafana.${global.domain}`),
    storage: {
      size: readStorageSize(s, "size", d.storageSize, 1),
      storageClass: s.string("storageClass", global.storageClass, {
        pattern: /[a-z0-9]([-a-z0-9.]*[a-z0-9])?/,
        maxLength: 253,
        allowed: "a StorageClass name",
      }),
    },
    adminSecret: {
      name: readSecretName(a, "name", d.adminSecret.name),
      userKey: readDataKey(a, "userKey", d.adminSecret.userKey),
      passwordKey: readDataKey(a, "passwordKey", d.adminSecret.passwordKey),
    },
    prometheusUrl: v.string("prometheusUrl", undefined, {
      pattern: /https?:\/\/[A-Za-z0-9.-]+(:[0-9]{1,5})?(\/\S*)?/,
      allowed: "an http(s) URL such as http://prometheus.monitoring.svc:9090",
    }),
    cloudwatch: {
      enabled: cw.boolean("enabled", true),
      region: cw.string("region", d.region, { pattern: REGION, allowed: "an AWS region such as eu-west-1" }),
    },
    sqs: {
      queueNames: q.stringList("queueNames", [], {
        pattern: QUEUE_NAME,
        allowed: "an SQS queue name (letters, digits, '-' and '_', up to 80 characters)",
      }),
      queueNamePattern,
    },
    objectDetectionNamespace: readNamespace(v, "objectDetectionNamespace", d.objectDetectionNamespace),
    resources: readResources(v, "resources", d.resources),
  };
}
