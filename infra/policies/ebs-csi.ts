/**
 * The AWS EBS CSI driver controller's permissions (its service account's role): the
 * actions of the AWS managed AmazonEBSCSIDriverPolicy, but every write limited to
 * volumes, snapshots and instances tagged `kubernetes.io/cluster/<name>=owned`
 * instead of any volume in the account. Pure.
 *
 * Contract with the add-on that installs the driver: the chart must set
 * `controller.k8sTagClusterId: <clusterName>` (the driver then adds the cluster
 * tag to every volume and snapshot it creates, which `CreateVolume` here
 * requires) and run the controller as `kube-system/ebs-csi-controller-sa`, the one
 * service account the role trusts. No node role holds these permissions.
 */
import { AccountContext, ec2Arn, ec2SnapshotArn, ownedByCluster, policy, PolicyDocument, taggedForCluster } from "./document";

/** The Helm value the EBS CSI add-on must set for these statements to work. */
export const EBS_CSI_CLUSTER_TAG_VALUE_KEY = "controller.k8sTagClusterId";

export function ebsCsiDriverPolicy(ctx: AccountContext): PolicyDocument {
  const volumes = ec2Arn(ctx, "volume/*");
  const snapshots = ec2SnapshotArn(ctx);
  const instances = ec2Arn(ctx, "instance/*");
  return policy(
    {
      // Describe calls have no resource-level permissions.
      Sid: "DescribeVolumesAndSnapshots",
      Effect: "Allow",
      Action: [
        "ec2:DescribeAvailabilityZones",
        "ec2:DescribeInstances",
        "ec2:DescribeSnapshots",
        "ec2:DescribeTags",
        "ec2:DescribeVolumes",
        "ec2:DescribeVolumesModifications",
        "ec2:DescribeVolumeStatus",
      ],
      Resource: "*",
    },
    {
      Sid: "CreateClusterVolumes",
      Effect: "Allow",
      Action: ["ec2:CreateVolume"],
      Resource: volumes,
      Condition: taggedForCluster(ctx),
    },
    {
      Sid: "CreateClusterSnapshots",
      Effect: "Allow",
      Action: ["ec2:CreateSnapshot"],
      Resource: snapshots,
      Condition: taggedForCluster(ctx),
    },
    {
      // Creating a volume from a snapshot also authorises the snapshot: only this cluster's.
      Sid: "RestoreFromClusterSnapshots",
      Effect: "Allow",
      Action: ["ec2:CreateVolume"],
      Resource: snapshots,
      Condition: ownedByCluster(ctx),
    },
    {
      // Snapshotting also authorises the source volume: only this cluster's.
      Sid: "SnapshotClusterVolumes",
      Effect: "Allow",
      Action: ["ec2:CreateSnapshot"],
      Resource: volumes,
      Condition: ownedByCluster(ctx),
    },
    {
      // Tags applied within the create call itself.
      Sid: "TagOnCreate",
      Effect: "Allow",
      Action: ["ec2:CreateTags"],
      Resource: [volumes, snapshots],
      Condition: { StringEquals: { "ec2:CreateAction": ["CreateVolume", "CreateSnapshot"] } },
    },
    {
      Sid: "ManageClusterVolumesAndSnapshots",
      Effect: "Allow",
      Action: [
        "ec2:AttachVolume",
        "ec2:DetachVolume",
        "ec2:ModifyVolume",
        "ec2:DeleteVolume",
        "ec2:DeleteSnapshot",
        "ec2:EnableFastSnapshotRestores",
        "ec2:CreateTags",
        "ec2:DeleteTags",
      ],
      Resource: [volumes, snapshots],
      Condition: ownedByCluster(ctx),
    },
    {
      // Attach/detach also authorise the instance: only this cluster's nodes.
      Sid: "AttachToClusterNodes",
      Effect: "Allow",
      Action: ["ec2:AttachVolume", "ec2:DetachVolume"],
      Resource: instances,
      Condition: ownedByCluster(ctx),
    },
  );
}
