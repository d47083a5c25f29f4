/**
 * The CloudWatch Logs group of a cluster's container logs. Pulumi
 * (infra/aws/logging.ts) creates it under this name and the FluentD chart writes to
 * it, so both sides use this one function, which therefore lives with the shared
 * primitives.
 */
export function containerLogGroupName(clusterName: string): string {
  return `/kubeadm-platform/${clusterName}/containers`;
}
