/** Tagging rules every AWS resource of the platform follows. Pure. */

/** The tag the AWS cloud controller manager and the EBS CSI driver use to recognise this cluster's resources. */
export function clusterTagKey(clusterName: string): string {
  return `kubernetes.io/cluster/${clusterName}`;
}

/**
 * Tags for one resource: the user's tags, then the ones the platform relies on
 * (which win; config validation already rejects user tags that would collide).
 */
export function resourceTags(
  clusterName: string,
  userTags: Readonly<Record<string, string>>,
  name: string,
  extra: Readonly<Record<string, string>> = {},
): Record<string, string> {
  return { ...userTags, Name: name, [clusterTagKey(clusterName)]: "owned", ...extra };
}
