/**
 * What the Grafana chart tells the deploying program (its registry entry,
 * charts/registry.ts): the admin Secret, the stack's region for CloudWatch
 * queries, and the URL of the UI.
 */
import type { ChartRegistration } from "../chart-entry";
import { GRAFANA_NAMES } from "./chart";
import { GRAFANA_NAMESPACE } from "./values";

export const GRAFANA_REGISTRATION: ChartRegistration = {
  deployByDefault: true,
  // Its own role for the CloudWatch datasource (infra/aws/logging.ts).
  platformAwsAccess: (values) =>
    values.grafana.cloudwatch.enabled ? [{ serviceAccount: GRAFANA_NAMES.server, access: "readCloudWatch" }] : [],
  secrets: (values) => {
    const a = values.grafana.adminSecret;
    return [
      {
        namespace: GRAFANA_NAMESPACE,
        name: a.name,
        keys: {
          [a.userKey]: { description: "the admin user", generate: { kind: "fixed", value: "admin" } },
          [a.passwordKey]: { description: "its password", generate: { kind: "random", length: 32 } },
        },
      },
    ];
  },
  stackDefaults: (stack) => ({ grafana: { cloudwatch: { region: stack.region } } }),
  // Admin password: README "Deploying for real".
  urls: (values) => ({ grafanaUrl: `https://${values.grafana.host}` }),
};
