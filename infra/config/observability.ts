/**
 * The `observability` section of the stack configuration: the AWS side of log
 * shipping and of Grafana's CloudWatch datasource. One structured key:
 *
 *   pulumi config set --path observability.logRetentionDays 90
 *
 * Pure (no Pulumi).
 */
import { containerLogGroupName } from "../../lib/log-group";
import type { ClusterConfig } from "./cluster";
import { Validator } from "../../lib/validate";

/** Stack configuration keys of this section (without the project prefix). */
export const OBSERVABILITY_KEYS = ["observability"] as const;

/** The retention periods CloudWatch Logs accepts (days). */
export const LOG_RETENTION_DAYS = [
  1, 3, 5, 7, 14, 30, 60, 90, 120, 150, 180, 365, 400, 545, 731, 1096, 1827, 2192, 2557, 2922, 3288, 3653,
] as const;

export const OBSERVABILITY_DEFAULTS = {
  /** Create the log group and let the nodes write to it (FluentD's CloudWatch output). */
  cloudWatchLogs: true,
  logRetentionDays: 30,
  /** Let Grafana (on the workers) read CloudWatch metrics and the cluster's logs. */
  grafanaCloudWatchRead: true,
} as const;

export interface ObservabilityConfig {
  readonly cloudWatchLogs: boolean;
  /** Name of the container log group (default: derived from the cluster name). */
  readonly logGroupName: string;
  readonly logRetentionDays: number;
  readonly grafanaCloudWatchRead: boolean;
}

const SUB_KEYS = ["cloudWatchLogs", "logGroupName", "logRetentionDays", "grafanaCloudWatchRead"];

export function parseObservability(v: Validator, cluster: ClusterConfig): ObservabilityConfig {
  const d = OBSERVABILITY_DEFAULTS;
  const s = v.object("observability") ?? new Validator({}, v.keyPath("observability"));
  s.rejectUnknownKeys(SUB_KEYS);
  const retention = s.number("logRetentionDays", d.logRetentionDays);
  let logRetentionDays: number = d.logRetentionDays;
  if ((LOG_RETENTION_DAYS as readonly number[]).includes(retention)) logRetentionDays = retention;
  else s.fail("logRetentionDays", retention, `one of the periods CloudWatch Logs accepts: ${LOG_RETENTION_DAYS.join(", ")}`);
  return {
    cloudWatchLogs: s.boolean("cloudWatchLogs", d.cloudWatchLogs),
    logGroupName: s.string("logGroupName", containerLogGroupName(cluster.clusterName), {
      pattern: /[A-Za-z0-9_\-/.#]{1,512}/,
      allowed: "a CloudWatch Logs group name (letters, digits and _-/.#, at most 512 characters)",
    }),
    logRetentionDays,
    grafanaCloudWatchRead: s.boolean("grafanaCloudWatchRead", d.grafanaCloudWatchRead),
  };
}

export const observabilitySection = {
  keys: OBSERVABILITY_KEYS,
  parse: (v: Validator, cluster: ClusterConfig): ObservabilityConfig => parseObservability(v, cluster),
};
