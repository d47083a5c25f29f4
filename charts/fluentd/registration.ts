/**
 * What the FluentD chart tells the deploying program (its registry entry,
 * charts/registry.ts): it ships to the stack's region and log group, with the
 * stack's cluster name on every record.
 */
import type { ChartRegistration } from "../chart-entry";
import { FLUENTD_NAMES } from "./chart";

export const FLUENTD_REGISTRATION: ChartRegistration = {
  deployByDefault: true,
  // Its own role, writing to the cluster's log group only (infra/aws/logging.ts).
  platformAwsAccess: (values) =>
    values.fluentd.output === "cloudwatch" ? [{ serviceAccount: FLUENTD_NAMES.daemonSet, access: "writeContainerLogs" }] : [],
  stackDefaults: (stack) => ({
    fluentd: {
      clusterName: stack.clusterName,
      cloudwatch: { region: stack.region, ...(stack.logGroupName ? { logGroupName: stack.logGroupName } : {}) },
    },
  }),
};
