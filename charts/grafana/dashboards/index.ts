/**
 * Every dashboard the Grafana chart provisions, by file name. Pure data: the
 * chart puts them in a ConfigMap, the tests parse every query, and the JSON is
 * checked in under test/golden/grafana/ so reviews show what changes.
 */
import type { Dashboard } from "./builder";
import { clusterNodesDashboard } from "./cluster-nodes";
import { ingressDashboard } from "./ingress";
import { objectDetectionDashboard } from "./object-detection";
import { SqsQueueSelection, sqsDashboard } from "./sqs";

export interface DashboardInput {
  readonly certificateExpiryDays: number;
  readonly objectDetectionNamespace: string;
  /** The SQS dashboard needs the CloudWatch datasource; omitted when it is off. */
  readonly sqs?: SqsQueueSelection;
}

export function buildDashboards(input: DashboardInput): Record<string, Dashboard> {
  return {
    "cluster-nodes.json": clusterNodesDashboard(),
    "ingress.json": ingressDashboard({ certificateExpiryDays: input.certificateExpiryDays }),
    "object-detection-workloads.json": objectDetectionDashboard({ namespace: input.objectDetectionNamespace }),
    ...(input.sqs ? { "object-detection-sqs.json": sqsDashboard(input.sqs) } : {}),
  };
}
