/**
 * Values of Gosty, the video transcoding service (`gosty:` in a values file).
 */
import { DEFAULT_RESOURCES, memoryMebibytes, ResourceSpec } from "../../constructs/resources";
import { Validator } from "../../lib/validate";
import { RequiredSecret } from "../required-secrets";
import { GOSTY_APISERVER_CONTRACT, GOSTY_FILESERVER_CONTRACT, GOSTY_WORKER_CONTRACT } from "./image-contracts";
import type { ImageContract } from "../image-contract";
import type { GlobalValues } from "../global-values";
import {
  AutoscalingValues,
  readAutoscaling,
  readDataKey,
  readHost,
  readImage,
  readReplicas,
  readResources,
  readSecretName,
  section,
} from "../values-common";

/** Namespace of every object of the application. */
export const GOSTY_NAMESPACE = "gosty";

/**
 * Gosty's own images. Upstream publishes only `latest` tags, which this
 * platform refuses: build the images from the Gosty repository, push them with
 * a version tag and set `gosty.<service>.image` (or `global.imageRegistry`).
 */
export const DEFAULT_GOSTY_IMAGES = {
  apiServer: "registry.example.com/gosty/apiserver:1.0.0",
  fileServer: "registry.example.com/gosty/fileserver:1.0.0",
  worker: "registry.example.com/gosty/worker:1.0.0",
} as const;

/** Official images, pinned to the newest patch of a supported line. */
// evidence: https://github.com/rabbitmq/rabbitmq-server/releases/tag/v4.2.9 (2026-07-20; 4.2.x still patched after 4.3.2)
export const DEFAULT_RABBITMQ_IMAGE = "rabbitmq:4.2.9-management";
// evidence: https://www.mongodb.com/docs/manual/release-notes/8.0/ and https://osv.dev/vulnerability/CLEANSTART-2026-FV12726 (fixed in mongodb 8.0.29)
export const DEFAULT_MONGODB_IMAGE = "mongo:8.0.29";
// Elasticsearch and Kibana are released together and pinned to the same
// version: the newest 8.19.x with a published release of both.
// evidence: https://github.com/elastic/elasticsearch/releases/tag/v8.19.26 (commit c4a3731; release notes reference/8.19/release-notes-8.19.26.html)
export const DEFAULT_ELASTICSEARCH_IMAGE = "docker.elastic.co/elasticsearch/elasticsearch:8.19.26";
// evidence: https://github.com/elastic/kibana/releases/tag/v8.19.26 (release notes kibana/8.19/release-notes-8.19.26.html)
export const DEFAULT_KIBANA_IMAGE = "docker.elastic.co/kibana/kibana:8.19.26";

/** How a Gosty image serves its health checks (defaults: its image contract, charts/gosty/image-contracts.ts). */
export interface HealthValues {
  readonly port: number;
  readonly readinessPath: string;
  readonly livenessPath: string;
}

export interface GostyAppValues {
  readonly image: string;
  readonly resources: ResourceSpec;
  readonly health: HealthValues;
}

export interface GostyValues {
  readonly enabled: boolean;
  readonly imagePullSecret?: string;
  readonly apiServer: GostyAppValues & { readonly replicas: number; readonly host: string };
  readonly fileServer: GostyAppValues & { readonly storageSize: string };
  readonly worker: GostyAppValues & { readonly autoscaling: AutoscalingValues };
  readonly rabbitmq: {
    readonly image: string;
    readonly replicas: number;
    readonly resources: ResourceSpec;
    readonly storageSize: string;
    /** Secret with keys `username`, `password`, `erlangCookieKey`. */
    readonly secret: { readonly name: string; readonly usernameKey: string; readonly passwordKey: string; readonly erlangCookieKey: string };
  };
  readonly mongodb: {
    readonly image: string;
    readonly resources: ResourceSpec;
    readonly storageSize: string;
    readonly database: string;
    readonly secret: { readonly name: string; readonly usernameKey: string; readonly passwordKey: string };
  };
  /** Optional Elasticsearch + Kibana for the application's logs. */
  readonly logging: {
    readonly enabled: boolean;
    readonly elasticsearchImage: string;
    readonly kibanaImage: string;
    readonly storageSize: string;
    readonly elasticsearchResources: ResourceSpec;
    readonly kibanaResources: ResourceSpec;
    readonly secret: { readonly name: string; readonly elasticPasswordKey: string; readonly kibanaPasswordKey: string };
  };
  /** Linkerd proxy injection on the namespace. */
  readonly linkerd: { readonly enabled: boolean };
  /** Chaos Mesh experiments. */
  readonly chaos: {
    readonly enabled: boolean;
    /** Percentage of worker pods killed per experiment. */
    readonly podKillPercent: number;
    /** Added latency between the API server and RabbitMQ, e.g. `200ms`. */
    readonly networkDelay: string;
    /** How long the network delay lasts, e.g. `5m`. */
    readonly networkDelayDuration: string;
  };
}

/**
 * Where each image serves its health checks (its image contract): the API
 * server and the worker on ports of their own, the file server only `GET /`
 * on its traffic port.
 */
function healthDefaults(contract: ImageContract, readinessPath: string, livenessPath: string): HealthValues {
  const ready = contract.health.find((h) => h.path === readinessPath);
  if (ready === undefined || !contract.health.some((h) => h.path === livenessPath && h.port === ready.port)) {
    throw new Error(`image contract ${contract.name}: no health endpoints ${readinessPath} and ${livenessPath} on one port`);
  }
  return { port: ready.port, readinessPath, livenessPath };
}

const HEALTH_DEFAULTS = {
  apiServer: healthDefaults(GOSTY_APISERVER_CONTRACT, "/ready", "/live"),
  fileServer: healthDefaults(GOSTY_FILESERVER_CONTRACT, "/", "/version"),
  worker: healthDefaults(GOSTY_WORKER_CONTRACT, "/ready", "/live"),
} as const;
const SIZE_ALLOWED = "a size in Mi or Gi such as 10Gi";
const DURATION = /[1-9][0-9]*(ms|s|m|h)/;
const HTTP_PATH = /\/[A-Za-z0-9._~/-]*/;

export function parseGostyValues(v: Validator, global: GlobalValues): GostyValues {
  v.rejectUnknownKeys([
    "enabled",
    "imagePullSecret",
    "apiServer",
    "fileServer",
    "worker",
    "rabbitmq",
    "mongodb",
    "logging",
    "linkerd",
    "chaos",
  ]);
  const reg = global.imageRegistry;
  const enabled = v.boolean("enabled", true);
  const imagePullSecret = v.has("imagePullSecret") ? readSecretName(v, "imagePullSecret", "") || undefined : undefined;
  // Read in the keys' order, so problems are reported in the order of the file.
  const { apiServer, fileServer, worker } = readApps(v, global);
  const rabbitmq = readRabbitmq(section(v, "rabbitmq"), reg);
  const mongodb = readMongodb(section(v, "mongodb"), reg);
  const logging = readLogging(section(v, "logging"), reg);
  const lk = section(v, "linkerd");
  lk.rejectUnknownKeys(["enabled"]);
  const linkerd = { enabled: lk.boolean("enabled", false) };
  const chaos = readChaos(section(v, "chaos"));
  return { enabled, imagePullSecret, apiServer, fileServer, worker, rabbitmq, mongodb, logging, linkerd, chaos };
}

/** `gosty.apiServer`, `gosty.fileServer` and `gosty.worker`: the application's own images. */
function readApps(v: Validator, global: GlobalValues): Pick<GostyValues, "apiServer" | "fileServer" | "worker"> {
  const app = (key: "apiServer" | "fileServer" | "worker", extra: string[]): { s: Validator; base: GostyAppValues } => {
    const s = section(v, key);
    s.rejectUnknownKeys(["image", "resources", "health", ...extra]);
    return {
      s,
      base: {
        image: readImage(s, "image", DEFAULT_GOSTY_IMAGES[key], global.imageRegistry),
        resources: readResources(s, "resources", DEFAULT_RESOURCES),
        health: readHealth(section(s, "health"), HEALTH_DEFAULTS[key]),
      },
    };
  };
  const api = app("apiServer", ["replicas", "host"]);
  const apiServer = {
    ...api.base,
    replicas: readReplicas(api.s, "replicas", 2),
    host: readHost(api.s, "host", `gosty.${global.domain}`),
  };
  const fs = app("fileServer", ["storageSize"]);
  const fileServer = { ...fs.base, storageSize: readSize(fs.s, "storageSize", "20Gi") };
  const wk = app("worker", ["autoscaling"]);
  // Transcoding is CPU-bound: workers get a whole CPU to burst into.
  const workerResources = wk.s.has("resources")
    ? wk.base.resources
    : { cpu: { request: "500m", limit: "2" }, memory: { request: "256Mi", limit: "1Gi" } };
  const worker = {
    ...wk.base,
    resources: workerResources,
    autoscaling: readAutoscaling(wk.s, "autoscaling", { minReplicas: 1, maxReplicas: 10, cpuUtilization: 70 }),
  };
  return { apiServer, fileServer, worker };
}

/** `gosty.rabbitmq`. */
function readRabbitmq(r: Validator, reg: string | undefined): GostyValues["rabbitmq"] {
  r.rejectUnknownKeys(["image", "replicas", "resources", "storageSize", "secret"]);
  const rs = section(r, "secret");
  rs.rejectUnknownKeys(["name", "usernameKey", "passwordKey", "erlangCookieKey"]);
  const rabbitmq = {
    image: readImage(r, "image", DEFAULT_RABBITMQ_IMAGE, reg),
    replicas: r.number("replicas", 1, { min: 1, max: 7 }),
    resources: readResources(r, "resources", { cpu: { request: "250m", limit: "1" }, memory: { request: "512Mi", limit: "1Gi" } }),
    storageSize: readSize(r, "storageSize", "8Gi"),
    secret: {
      name: readSecretName(rs, "name", "gosty-rabbitmq"),
      usernameKey: readDataKey(rs, "usernameKey", "username"),
      passwordKey: readDataKey(rs, "passwordKey", "password"),
      erlangCookieKey: readDataKey(rs, "erlangCookieKey", "erlang-cookie"),
    },
  };
  if (rabbitmq.replicas === 2) {
    // Quorum queues and the cluster's own metadata store need a majority.
    r.fail("replicas", 2, "1 or an odd number from 3 to 7 (a two-node cluster loses its majority when one node fails)");
  }
  return rabbitmq;
}

/** `gosty.mongodb`. */
function readMongodb(m: Validator, reg: string | undefined): GostyValues["mongodb"] {
  m.rejectUnknownKeys(["image", "resources", "storageSize", "database", "secret"]);
  const ms = section(m, "secret");
  ms.rejectUnknownKeys(["name", "usernameKey", "passwordKey"]);
  return {
    image: readImage(m, "image", DEFAULT_MONGODB_IMAGE, reg),
    resources: readResources(m, "resources", { cpu: { request: "250m", limit: "1" }, memory: { request: "512Mi", limit: "1Gi" } }),
    storageSize: readSize(m, "storageSize", "10Gi"),
    database: m.string("database", "gosty", { pattern: /[A-Za-z0-9_-]{1,63}/, allowed: "a MongoDB database name (letters, digits, '_' and '-')" }),
    secret: {
      name: readSecretName(ms, "name", "gosty-mongodb"),
      usernameKey: readDataKey(ms, "usernameKey", "username"),
      passwordKey: readDataKey(ms, "passwordKey", "password"),
    },
  };
}

/** `gosty.logging`: Elasticsearch and Kibana. */
function readLogging(l: Validator, reg: string | undefined): GostyValues["logging"] {
  l.rejectUnknownKeys(["enabled", "elasticsearchImage", "kibanaImage", "storageSize", "elasticsearchResources", "kibanaResources", "secret"]);
  const ls = section(l, "secret");
  ls.rejectUnknownKeys(["name", "elasticPasswordKey", "kibanaPasswordKey"]);
  return {
    enabled: l.boolean("enabled", false),
    elasticsearchImage: readImage(l, "elasticsearchImage", DEFAULT_ELASTICSEARCH_IMAGE, reg),
    kibanaImage: readImage(l, "kibanaImage", DEFAULT_KIBANA_IMAGE, reg),
    storageSize: readSize(l, "storageSize", "20Gi"),
    elasticsearchResources: readResources(l, "elasticsearchResources", {
      cpu: { request: "500m", limit: "2" },
      memory: { request: "2Gi", limit: "2Gi" },
    }),
    kibanaResources: readResources(l, "kibanaResources", { cpu: { request: "250m", limit: "1" }, memory: { request: "1Gi", limit: "1Gi" } }),
    secret: {
      name: readSecretName(ls, "name", "gosty-elasticsearch"),
      elasticPasswordKey: readDataKey(ls, "elasticPasswordKey", "elastic-password"),
      kibanaPasswordKey: readDataKey(ls, "kibanaPasswordKey", "kibana-password"),
    },
  };
}

/** `gosty.chaos`: the Chaos Mesh experiments. */
function readChaos(c: Validator): GostyValues["chaos"] {
  c.rejectUnknownKeys(["enabled", "podKillPercent", "networkDelay", "networkDelayDuration"]);
  return {
    enabled: c.boolean("enabled", false),
    podKillPercent: c.number("podKillPercent", 50, { min: 1, max: 100 }),
    networkDelay: c.string("networkDelay", "200ms", { pattern: DURATION, allowed: "a duration such as 200ms or 1s" }),
    networkDelayDuration: c.string("networkDelayDuration", "5m", { pattern: DURATION, allowed: "a duration such as 30s or 5m" }),
  };
}

function readHealth(h: Validator, defaults: HealthValues): HealthValues {
  h.rejectUnknownKeys(["port", "readinessPath", "livenessPath"]);
  const path = (key: "readinessPath" | "livenessPath") =>
    h.string(key, defaults[key], { pattern: HTTP_PATH, allowed: "an absolute HTTP path such as /ready" });
  return {
    port: h.number("port", defaults.port, { min: 1, max: 65535 }),
    readinessPath: path("readinessPath"),
    livenessPath: path("livenessPath"),
  };
}

function readSize(v: Validator, key: string, fallback: string): string {
  const value = v.string(key, fallback, { allowed: SIZE_ALLOWED });
  if (memoryMebibytes(value) === undefined) {
    v.fail(key, value, SIZE_ALLOWED);
    return fallback;
  }
  return value;
}

/** The Secrets the Gosty chart expects to exist, for the deploying program to create. */
export function gostyRequiredSecrets(values: GostyValues): RequiredSecret[] {
  if (!values.enabled) return [];
  const r = values.rabbitmq.secret;
  const m = values.mongodb.secret;
  const out: RequiredSecret[] = [
    {
      namespace: GOSTY_NAMESPACE,
      name: r.name,
      keys: {
        [r.usernameKey]: { description: "RabbitMQ user of the Gosty services", generate: { kind: "fixed", value: "gosty" } },
        [r.passwordKey]: { description: "its password", generate: { kind: "random", length: 32 } },
        [r.erlangCookieKey]: {
          description: "Erlang cookie shared by every RabbitMQ node and CLI tool (must never change once nodes have data)",
          generate: { kind: "random", length: 64 },
        },
      },
    },
    {
      namespace: GOSTY_NAMESPACE,
      name: m.name,
      keys: {
        [m.usernameKey]: { description: "MongoDB root user", generate: { kind: "fixed", value: "root" } },
        [m.passwordKey]: { description: "its password", generate: { kind: "random", length: 32 } },
      },
    },
  ];
  if (values.logging.enabled) {
    const l = values.logging.secret;
    out.push({
      namespace: GOSTY_NAMESPACE,
      name: l.name,
      keys: {
        [l.elasticPasswordKey]: { description: "password of the Elasticsearch `elastic` superuser", generate: { kind: "random", length: 32 } },
        [l.kibanaPasswordKey]: { description: "password of the built-in `kibana_system` user", generate: { kind: "random", length: 32 } },
      },
    });
  }
  return out;
}
