/**
 * The stack configuration sections the charts own: each registered chart that
 * declares AWS resources (its entry's `aws`) names a top-level key and parses
 * it itself (e.g. the queue settings of an application). Pure (no Pulumi).
 */
import type { AwsSettings } from "../../charts/chart-entry";
import { CHARTS, ChartEntry } from "../../charts/registry";
import type { Validator } from "../../lib/validate";
import type { ClusterConfig } from "./cluster";

/** Each chart's parsed settings, by chart id. */
export type ChartSettings = Readonly<Record<string, AwsSettings>>;

export function chartSettingsSection(charts: readonly ChartEntry[] = CHARTS) {
  const owners = charts.flatMap((c) => (c.aws ? [{ id: c.id, aws: c.aws }] : []));
  return {
    keys: owners.map((c) => c.aws.configKey),
    parse: (v: Validator, _cluster: ClusterConfig): ChartSettings => Object.fromEntries(owners.map((c) => [c.id, c.aws.parse(v)])),
  };
}
