/**
 * What the FluentD chart tells the deploying program (its registry entry,
 * charts/registry.ts): it ships to the stack's region and log group, with the
 * stack's cluster name on every record.
 */
import type { ChartRegistration } from "../chart-entry";

export const FLUENTD_REGISTRATION: ChartRegistration = {
  deployByDefault: true,
  stackDefaults: (stack) => ({
    fluentd: {
      clusterName: stack.clusterName,
      cloudwatch: { region: stack.region, ...(stack.logGroupName ? { logGroupName: stack.logGroupName } : {}) },
    },
  }),
};
