/**
 * Grafana's provisioning files (datasources and the dashboard provider), as
 * plain data. Grafana reads them at start-up from /etc/grafana/provisioning.
 */
import { DATASOURCE } from "./dashboards/builder";

/** Where the chart mounts the dashboard JSON files. */
export const DASHBOARDS_DIR = "/var/lib/grafana-dashboards/platform";

export interface DatasourceInput {
  readonly prometheusUrl: string;
  /** Scrape interval of Prometheus, so `$__rate_interval` never drops below four scrapes. */
  readonly prometheusScrapeInterval: string;
  /** CloudWatch default region; no CloudWatch datasource when undefined. */
  readonly cloudwatchRegion?: string;
}

export function datasources(input: DatasourceInput): Record<string, unknown> {
  const list: Record<string, unknown>[] = [
    {
      name: "Prometheus",
      type: DATASOURCE.prometheus.type,
      uid: DATASOURCE.prometheus.uid,
      access: "proxy",
      url: input.prometheusUrl,
      isDefault: true,
      editable: false,
      jsonData: { timeInterval: input.prometheusScrapeInterval, httpMethod: "POST" },
    },
  ];
  if (input.cloudwatchRegion) {
    list.push({
      name: "CloudWatch",
      type: DATASOURCE.cloudwatch.type,
      uid: DATASOURCE.cloudwatch.uid,
      access: "proxy",
      editable: false,
      // `default`: the AWS SDK credential chain, i.e. the instance role of the
      // node Grafana runs on (IMDSv2 with a hop limit of 2 lets pods reach it).
      // No keys in the manifests. The same datasource serves CloudWatch metrics
      // and CloudWatch Logs Insights queries.
      jsonData: { authType: "default", defaultRegion: input.cloudwatchRegion },
    });
  }
  return { apiVersion: 1, datasources: list };
}

export function dashboardProviders(): Record<string, unknown> {
  return {
    apiVersion: 1,
    providers: [
      {
        name: "platform",
        orgId: 1,
        folder: "Platform",
        type: "file",
        disableDeletion: true,
        allowUiUpdates: false,
        updateIntervalSeconds: 60,
        options: { path: DASHBOARDS_DIR, foldersFromFilesStructure: false },
      },
    ],
  };
}
