/**
 * Values of the FluentD chart (`fluentd:` in a values file): where container
 * logs go (CloudWatch Logs by default, Elasticsearch or OpenSearch when
 * configured) and how long FluentD rides out an outage of that destination.
 */
import { ResourceSpec } from "../../constructs/resources";
import { Validator } from "../../lib/validate";
import type { GlobalValues } from "../global-values";
import { containerLogGroupName } from "../../lib/log-group";
import { readDataKey, readImage, readResources, readSecretName, section } from "../values-common";

/**
 * The upstream DaemonSet images, pinned. Each destination is a different image
 * (tag), because each bundles only its own output plugin.
 */
export const DEFAULT_FLUENTD_IMAGES = {
  cloudwatch: "fluent/fluentd-kubernetes-daemonset:v1.19.3-debian-cloudwatch-1.1",
  elasticsearch: "fluent/fluentd-kubernetes-daemonset:v1.19.3-debian-elasticsearch8-1.1",
  opensearch: "fluent/fluentd-kubernetes-daemonset:v1.19.3-debian-opensearch-1.1",
} as const;

export type LogOutput = keyof typeof DEFAULT_FLUENTD_IMAGES;
export const LOG_OUTPUTS = Object.keys(DEFAULT_FLUENTD_IMAGES) as LogOutput[];

export { containerLogGroupName };

export interface SearchBackendValues {
  readonly host: string;
  readonly port: number;
  readonly scheme: "https" | "http";
  /** Verify the server's TLS certificate. */
  readonly sslVerify: boolean;
  /** Daily indices are named `<indexPrefix>-YYYY.MM.DD`. */
  readonly indexPrefix: string;
  /** Existing Secret with basic-auth credentials; none when unset. */
  readonly credentialsSecret?: { readonly name: string; readonly userKey: string; readonly passwordKey: string };
}

/** Namespace of FluentD. */
export const FLUENTD_NAMESPACE = "logging";

export interface FluentdValues {
  readonly output: LogOutput;
  /** The image for `output` (the default of that destination unless overridden). */
  readonly image: string;
  /** Added to every record as `cluster_name`; names the default log group. */
  readonly clusterName: string;
  readonly cloudwatch: { readonly region: string; readonly logGroupName: string };
  /** Elasticsearch or OpenSearch; set when `output` is one of them. */
  readonly search?: SearchBackendValues;
  readonly buffer: {
    /** Disk the buffer may use on each node before FluentD stops reading logs (e.g. `512m`, `2g`). */
    readonly totalLimitSize: string;
    readonly flushInterval: string;
    /** Give up on a chunk (move it to the failed-chunks directory) after retrying this long. */
    readonly retryTimeout: string;
    readonly retryMaxInterval: string;
  };
  readonly resources: ResourceSpec;
}

export const FLUENTD_DEFAULTS = {
  output: "cloudwatch" as LogOutput,
  clusterName: "platform",
  region: "us-east-1",
  search: { port: 9200, scheme: "https", sslVerify: true, indexPrefix: "kubernetes" },
  buffer: { totalLimitSize: "512m", flushInterval: "5s", retryTimeout: "1h", retryMaxInterval: "60s" },
  resources: { cpu: { request: "100m", limit: "500m" }, memory: { request: "256Mi", limit: "512Mi" } },
} as const;

const REGION = /[a-z]{2}(-gov|-iso[a-z]?)?-[a-z]+-[0-9]/;
/** CloudWatch Logs group names: up to 512 of letters, digits, `_ - / . #`. */
const LOG_GROUP = /[A-Za-z0-9_\-/.#]{1,512}/;
const FLUENT_SIZE = /[1-9][0-9]*[kmg]/;
const FLUENT_TIME = /[1-9][0-9]*[smhd]/;
const HOST = /[A-Za-z0-9]([-A-Za-z0-9.]*[A-Za-z0-9])?/;


export function parseFluentdValues(v: Validator, global: GlobalValues): FluentdValues {
  v.rejectUnknownKeys([
    "output",
    "image",
    "clusterName",
    "cloudwatch",
    "elasticsearch",
    "buffer",
    "resources",
  ]);
  const d = FLUENTD_DEFAULTS;
  const output = v.string("output", d.output, { oneOf: LOG_OUTPUTS }) as LogOutput;
  const clusterName = v.string("clusterName", d.clusterName, {
    pattern: /[a-z]([-a-z0-9]{0,38}[a-z0-9])?/,
    allowed: "the cluster name (lower-case letters, digits and '-', at most 40 characters)",
  });

  const cw = section(v, "cloudwatch");
  cw.rejectUnknownKeys(["region", "logGroupName"]);
  const cloudwatch = {
    region: cw.string("region", d.region, { pattern: REGION, allowed: "an AWS region such as eu-west-1" }),
    logGroupName: cw.string("logGroupName", containerLogGroupName(clusterName), {
      pattern: LOG_GROUP,
      allowed: "a CloudWatch Logs group name (letters, digits and _-/.#, at most 512 characters)",
    }),
  };

  let search: SearchBackendValues | undefined;
  const es = v.object("elasticsearch");
  if (output !== "cloudwatch" && !es) {
    // An absent section has no validator of its own to record the problem on.
    v.failAt(v.keyPath("elasticsearch.host"), undefined, `the ${output} host name (required when fluentd.output is ${output})`);
  } else if (output !== "cloudwatch" && es) {
    const s = es;
    s.rejectUnknownKeys(["host", "port", "scheme", "sslVerify", "indexPrefix", "credentialsSecret"]);
    const host = s.requiredString("host", {
      pattern: HOST,
      maxLength: 253,
      allowed: `the ${output} host name (required when fluentd.output is ${output})`,
    });
    const cs = s.object("credentialsSecret");
    cs?.rejectUnknownKeys(["name", "userKey", "passwordKey"]);
    search = {
      host,
      port: s.number("port", d.search.port, { min: 1, max: 65535 }),
      scheme: s.string("scheme", d.search.scheme, { oneOf: ["https", "http"] }) as SearchBackendValues["scheme"],
      sslVerify: s.boolean("sslVerify", d.search.sslVerify),
      indexPrefix: s.string("indexPrefix", d.search.indexPrefix, {
        pattern: /[a-z0-9][-a-z0-9_]{0,100}/,
        allowed: "a lower-case index prefix (letters, digits, '-' and '_')",
      }),
      credentialsSecret: cs
        ? {
            name: readSecretName(cs, "name", ""),
            userKey: readDataKey(cs, "userKey", "username"),
            passwordKey: readDataKey(cs, "passwordKey", "password"),
          }
        : undefined,
    };
    if (cs && !cs.has("name")) cs.fail("name", undefined, "the name of an existing Secret");
  } else if (es) {
    v.fail("elasticsearch", v.raw("elasticsearch"), 'nothing unless fluentd.output is "elasticsearch" or "opensearch"');
  }

  const b = section(v, "buffer");
  b.rejectUnknownKeys(["totalLimitSize", "flushInterval", "retryTimeout", "retryMaxInterval"]);
  const time = (key: keyof typeof d.buffer) =>
    b.string(key, d.buffer[key], { pattern: FLUENT_TIME, allowed: "a FluentD time such as 5s, 10m or 1h" });

  return {
    output,
    image: readImage(v, "image", DEFAULT_FLUENTD_IMAGES[output], global.imageRegistry),
    clusterName,
    cloudwatch,
    search,
    buffer: {
      totalLimitSize: b.string("totalLimitSize", d.buffer.totalLimitSize, {
        pattern: FLUENT_SIZE,
        allowed: "a FluentD size such as 512m or 2g",
      }),
      flushInterval: time("flushInterval"),
      retryTimeout: time("retryTimeout"),
      retryMaxInterval: time("retryMaxInterval"),
    },
    resources: readResources(v, "resources", d.resources),
  };
}
