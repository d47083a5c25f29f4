/**
 * Values of the Prometheus chart (`prometheus:` in a values file): the server,
 * node-exporter and kube-state-metrics, the scrape targets of the add-ons and the
 * alert thresholds.
 */
import { isDnsLabel } from "../../constructs/names";
import { memoryMebibytes, ResourceSpec } from "../../constructs/resources";
import { PROMETHEUS_PODS } from "../../lib/platform-pods";
import { Validator } from "../../lib/validate";
import type { GlobalValues } from "../global-values";
import { readImage, readResources, section } from "../values-common";

/** Upstream images, pinned. Each runs as a non-root user baked into the image. */
export const DEFAULT_PROMETHEUS_IMAGES = {
  prometheus: "quay.io/prometheus/prometheus:v3.11.3",
  configReloader: "quay.io/prometheus-operator/prometheus-config-reloader:v0.89.0",
  nodeExporter: "quay.io/prometheus/node-exporter:v1.10.2",
  kubeStateMetrics: "registry.k8s.io/kube-state-metrics/kube-state-metrics:v2.19.1",
} as const;

export interface AddonMetricsTarget {
  /** Namespace the add-on's Helm release runs in. */
  readonly namespace: string;
  /** Container port serving `/metrics`. */
  readonly metricsPort: number;
}

/** Namespace of Prometheus, node-exporter and kube-state-metrics (where every application's policies expect Prometheus). */
export const PROMETHEUS_NAMESPACE = PROMETHEUS_PODS.namespace;

export interface PrometheusValues {
  readonly images: {
    readonly prometheus: string;
    readonly configReloader: string;
    readonly nodeExporter: string;
    readonly kubeStateMetrics: string;
  };
  /** How long samples are kept (`--storage.tsdb.retention.time`), e.g. `15d`. */
  readonly retention: string;
  /**
   * Size cap on stored blocks (`--storage.tsdb.retention.size`), e.g. `17GB`.
   * Defaults to 85% of the volume so Prometheus deletes old data before the
   * volume fills.
   */
  readonly retentionSize: string;
  readonly storage: { readonly size: string; readonly storageClass: string };
  readonly scrapeInterval: string;
  readonly evaluationInterval: string;
  /** See `ScrapeConfigInput.verifyKubeletCertificates`. */
  readonly verifyKubeletCertificates: boolean;
  readonly ingressController: AddonMetricsTarget;
  readonly certManager: AddonMetricsTarget;
  readonly alerts: { readonly certificateExpiryDays: number; readonly volumeFreePercent: number; readonly etcdBackups: boolean };
  /** Labels put on every series, e.g. `{cluster: prod}`. */
  readonly externalLabels: Readonly<Record<string, string>>;
  readonly resources: {
    readonly prometheus: ResourceSpec;
    readonly nodeExporter: ResourceSpec;
    readonly kubeStateMetrics: ResourceSpec;
  };
}

export const PROMETHEUS_DEFAULTS = {
  retention: "15d",
  storageSize: "20Gi",
  scrapeInterval: "30s",
  evaluationInterval: "30s",
  // Namespaces and ports of the add-ons installed by infra (Helm): the F5 NGINX
  // Ingress Controller exposes Prometheus metrics on 9113, cert-manager on 9402.
  ingressController: { namespace: "nginx-ingress", metricsPort: 9113 },
  certManager: { namespace: "cert-manager", metricsPort: 9402 },
  // etcdBackups: the snapshot alerts, for the control plane infra/ deploys (kind has none).
  alerts: { certificateExpiryDays: 10, volumeFreePercent: 10, etcdBackups: true },
  resources: {
    prometheus: { cpu: { request: "250m", limit: "1" }, memory: { request: "1Gi", limit: "2Gi" } },
    nodeExporter: { cpu: { request: "50m", limit: "250m" }, memory: { request: "64Mi", limit: "128Mi" } },
    kubeStateMetrics: { cpu: { request: "50m", limit: "250m" }, memory: { request: "128Mi", limit: "256Mi" } },
  },
} as const;

const DURATION = /[1-9][0-9]*(ms|s|m|h|d|w|y)/;
const DURATION_ALLOWED = "a Prometheus duration such as 30s, 15d or 4w";
const SIZE = /[1-9][0-9]*(B|KB|MB|GB|TB|PB)/;
const NAMESPACE_ALLOWED = "a namespace name (a DNS label: lower-case letters, digits and '-')";
const LABEL_NAME = /[a-zA-Z_][a-zA-Z0-9_]*/;

function readNamespace(v: Validator, key: string, fallback: string): string {
  const ns = v.string(key, fallback, { allowed: NAMESPACE_ALLOWED });
  if (!isDnsLabel(ns)) {
    v.fail(key, ns, NAMESPACE_ALLOWED);
    return fallback;
  }
  return ns;
}

/** A storage request in Gi (`20Gi`); Prometheus and Grafana volumes are sized in whole GiB. */
export function readStorageSize(v: Validator, key: string, fallback: string, minGi: number): string {
  const allowed = `a size in Gi of at least ${minGi}Gi, such as ${fallback}`;
  const size = v.string(key, fallback, { pattern: /[1-9][0-9]*Gi/, allowed });
  if (Number(size.slice(0, -2)) < minGi) {
    v.fail(key, size, allowed);
    return fallback;
  }
  return size;
}

function readAddon(v: Validator, key: string, fallback: AddonMetricsTarget): AddonMetricsTarget {
  const a = section(v, key);
  a.rejectUnknownKeys(["namespace", "metricsPort"]);
  return {
    namespace: readNamespace(a, "namespace", fallback.namespace),
    metricsPort: a.number("metricsPort", fallback.metricsPort, { min: 1, max: 65535 }),
  };
}

/** 85% of a `NGi` volume, in whole GB as Prometheus' size flag reads it (base 1024). */
export function defaultRetentionSize(storageSize: string): string {
  const gi = (memoryMebibytes(storageSize) ?? 0) / 1024;
  return `${Math.max(1, Math.floor(gi * 0.85))}GB`;
}

export function parsePrometheusValues(v: Validator, global: GlobalValues): PrometheusValues {
  v.rejectUnknownKeys([
    "images",
    "retention",
    "retentionSize",
    "storage",
    "scrapeInterval",
    "evaluationInterval",
    "verifyKubeletCertificates",
    "ingressController",
    "certManager",
    "alerts",
    "externalLabels",
    "resources",
  ]);
  const reg = global.imageRegistry;
  const d = DEFAULT_PROMETHEUS_IMAGES;

  const img = section(v, "images");
  img.rejectUnknownKeys(Object.keys(d));
  const images = {
    prometheus: readImage(img, "prometheus", d.prometheus, reg),
    configReloader: readImage(img, "configReloader", d.configReloader, reg),
    nodeExporter: readImage(img, "nodeExporter", d.nodeExporter, reg),
    kubeStateMetrics: readImage(img, "kubeStateMetrics", d.kubeStateMetrics, reg),
  };

  const s = section(v, "storage");
  s.rejectUnknownKeys(["size", "storageClass"]);
  const size = readStorageSize(s, "size", PROMETHEUS_DEFAULTS.storageSize, 2);
  const storageClass = s.string("storageClass", global.storageClass, {
    pattern: /[a-z0-9]([-a-z0-9.]*[a-z0-9])?/,
    maxLength: 253,
    allowed: "a StorageClass name",
  });

  const a = section(v, "alerts");
  a.rejectUnknownKeys(["certificateExpiryDays", "volumeFreePercent", "etcdBackups"]);
  const r = section(v, "resources");
  r.rejectUnknownKeys(["prometheus", "nodeExporter", "kubeStateMetrics"]);
  const res = PROMETHEUS_DEFAULTS.resources;

  return {
    images,
    retention: v.string("retention", PROMETHEUS_DEFAULTS.retention, { pattern: DURATION, allowed: DURATION_ALLOWED }),
    retentionSize: v.string("retentionSize", defaultRetentionSize(size), {
      pattern: SIZE,
      allowed: "a size such as 500MB or 17GB",
    }),
    storage: { size, storageClass },
    scrapeInterval: v.string("scrapeInterval", PROMETHEUS_DEFAULTS.scrapeInterval, {
      pattern: DURATION,
      allowed: DURATION_ALLOWED,
    }),
    evaluationInterval: v.string("evaluationInterval", PROMETHEUS_DEFAULTS.evaluationInterval, {
      pattern: DURATION,
      allowed: DURATION_ALLOWED,
    }),
    // The platform's kubelets serve certificates from the cluster CA (serverTLSBootstrap); a
    // cluster whose kubelets sign their own (kind, plain kubeadm) turns this off.
    verifyKubeletCertificates: v.boolean("verifyKubeletCertificates", true),
    ingressController: readAddon(v, "ingressController", PROMETHEUS_DEFAULTS.ingressController),
    certManager: readAddon(v, "certManager", PROMETHEUS_DEFAULTS.certManager),
    alerts: {
      certificateExpiryDays: a.number("certificateExpiryDays", PROMETHEUS_DEFAULTS.alerts.certificateExpiryDays, {
        min: 1,
        max: 90,
      }),
      volumeFreePercent: a.number("volumeFreePercent", PROMETHEUS_DEFAULTS.alerts.volumeFreePercent, {
        min: 1,
        max: 50,
      }),
      etcdBackups: a.boolean("etcdBackups", PROMETHEUS_DEFAULTS.alerts.etcdBackups),
    },
    externalLabels: v.stringMap(
      "externalLabels",
      {},
      {
        key: { pattern: LABEL_NAME, allowed: "a Prometheus label name (letters, digits, '_')" },
        value: { maxLength: 128 },
      },
    ),
    resources: {
      prometheus: readResources(r, "prometheus", res.prometheus),
      nodeExporter: readResources(r, "nodeExporter", res.nodeExporter),
      kubeStateMetrics: readResources(r, "kubeStateMetrics", res.kubeStateMetrics),
    },
  };
}
