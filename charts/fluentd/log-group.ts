/**
 * The CloudWatch Logs group of a cluster's container logs. Pulumi
 * (infra/aws/logging.ts) creates it under this name and FluentD writes to it, so
 * both sides use this one function. No imports: the Pulumi program's config
 * loading uses it.
 */
export function containerLogGroupName(clusterName: string): string {
  return `/kubeadm-platform/${clusterName}/containers`;
}
