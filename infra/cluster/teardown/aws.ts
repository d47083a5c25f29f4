/**
 * {@link CleanupAws} with the AWS SDK v3 (EC2, ELB, ELBv2). Credentials and region
 * come from the environment `pulumi destroy` runs in, like the Pulumi AWS provider's.
 * "Not found" answers count as success: a controller may delete the same object
 * a moment earlier.
 */
import type * as ec2 from "@aws-sdk/client-ec2";
import type * as elb from "@aws-sdk/client-elastic-load-balancing";
import type * as elbv2 from "@aws-sdk/client-elastic-load-balancing-v2";
import type { CleanupAws, ClusterVolume, TaggedLoadBalancer } from "./cleanup";

/**
 * The SDK modules, passed in rather than imported: the teardown step's code is
 * serialized into the Pulumi state, and it `require`s them where it runs.
 */
export interface AwsSdk {
  readonly ec2: typeof ec2;
  readonly elb: typeof elb;
  readonly elbv2: typeof elbv2;
}

/** Loads the SDK modules from the project's node_modules. */
export function loadAwsSdk(): AwsSdk {
  /* eslint-disable @typescript-eslint/no-require-imports */
  return {
    ec2: require("@aws-sdk/client-ec2"),
    elb: require("@aws-sdk/client-elastic-load-balancing"),
    elbv2: require("@aws-sdk/client-elastic-load-balancing-v2"),
  };
  /* eslint-enable @typescript-eslint/no-require-imports */
}

const clusterTag = (clusterName: string) => `kubernetes.io/cluster/${clusterName}`;

/** The EBS CSI driver's marker on every volume it creates. */
export const CSI_VOLUME_TAG = "ebs.csi.aws.com/cluster";

/** Prefix of the security groups the cloud controller manager creates for load balancers. */
export const CCM_SECURITY_GROUP_PREFIX = "k8s-elb-";

function chunks<T>(items: readonly T[], size: number): T[][] {
  const out: T[][] = [];
  for (let i = 0; i < items.length; i += size) out.push(items.slice(i, i + size));
  return out;
}

function isNotFound(e: unknown): boolean {
  const name = (e as { name?: string }).name ?? "";
  return /NotFound|LoadBalancerNotFound|TargetGroupNotFound|InvalidGroup\.NotFound|InvalidVolume\.NotFound|AccessPointNotFound/.test(name);
}

async function ignoreNotFound(p: Promise<unknown>): Promise<void> {
  try {
    await p;
  } catch (e) {
    if (!isNotFound(e)) throw e;
  }
}

export interface SdkClients {
  readonly ec2: Pick<ec2.EC2Client, "send">;
  readonly elb: Pick<elb.ElasticLoadBalancingClient, "send">;
  readonly elbv2: Pick<elbv2.ElasticLoadBalancingV2Client, "send">;
}

export function sdkClients(sdk: AwsSdk, region: string): SdkClients {
  const { ec2, elb, elbv2 } = sdk;
  return {
    ec2: new ec2.EC2Client({ region }),
    elb: new elb.ElasticLoadBalancingClient({ region }),
    elbv2: new elbv2.ElasticLoadBalancingV2Client({ region }),
  };
}

/** Adapts the SDK clients to the cleanup's interface. */
export function sdkCleanupAws(c: SdkClients, sdk: AwsSdk): CleanupAws {
  const { ec2, elb, elbv2 } = sdk;
  const v2TaggedArns = async (arns: string[], clusterName: string): Promise<Set<string>> => {
    const tagged = new Set<string>();
    for (const batch of chunks(arns, 20)) {
      const out = await c.elbv2.send(new elbv2.DescribeTagsCommand({ ResourceArns: batch }));
      for (const d of out.TagDescriptions ?? []) {
        if (d.ResourceArn && (d.Tags ?? []).some((t) => t.Key === clusterTag(clusterName))) tagged.add(d.ResourceArn);
      }
    }
    return tagged;
  };

  const securityGroups = async (filters: ec2.Filter[]): Promise<ec2.SecurityGroup[]> => {
    const out: ec2.SecurityGroup[] = [];
    let NextToken: string | undefined;
    do {
      const page = await c.ec2.send(new ec2.DescribeSecurityGroupsCommand({ Filters: filters, NextToken }));
      out.push(...(page.SecurityGroups ?? []));
      NextToken = page.NextToken;
    } while (NextToken);
    return out;
  };

  return {
    async loadBalancers(clusterName, vpcId) {
      const v2: string[] = [];
      let Marker: string | undefined;
      do {
        const page = await c.elbv2.send(new elbv2.DescribeLoadBalancersCommand({ Marker }));
        for (const lb of page.LoadBalancers ?? []) if (lb.VpcId === vpcId && lb.LoadBalancerArn) v2.push(lb.LoadBalancerArn);
        Marker = page.NextMarker;
      } while (Marker);
      const classic: string[] = [];
      Marker = undefined;
      do {
        const page: elb.DescribeLoadBalancersCommandOutput = await c.elb.send(new elb.DescribeLoadBalancersCommand({ Marker }));
        for (const lb of page.LoadBalancerDescriptions ?? []) if (lb.VPCId === vpcId && lb.LoadBalancerName) classic.push(lb.LoadBalancerName);
        Marker = page.NextMarker;
      } while (Marker);
      const taggedV2 = await v2TaggedArns(v2, clusterName);
      const taggedClassic = new Set<string>();
      for (const batch of chunks(classic, 20)) {
        const out = await c.elb.send(new elb.DescribeTagsCommand({ LoadBalancerNames: batch }));
        for (const d of out.TagDescriptions ?? []) {
          if (d.LoadBalancerName && (d.Tags ?? []).some((t) => t.Key === clusterTag(clusterName))) taggedClassic.add(d.LoadBalancerName);
        }
      }
      const result: TaggedLoadBalancer[] = [
        ...v2.filter((a) => taggedV2.has(a)).map((id) => ({ id, kind: "v2" as const })),
        ...classic.filter((n) => taggedClassic.has(n)).map((id) => ({ id, kind: "classic" as const })),
      ];
      return result;
    },
    async deleteLoadBalancer(lb) {
      if (lb.kind === "v2") await ignoreNotFound(c.elbv2.send(new elbv2.DeleteLoadBalancerCommand({ LoadBalancerArn: lb.id })));
      else await ignoreNotFound(c.elb.send(new elb.DeleteLoadBalancerCommand({ LoadBalancerName: lb.id })));
    },
    async targetGroups(clusterName, vpcId) {
      const arns: string[] = [];
      let Marker: string | undefined;
      do {
        const page = await c.elbv2.send(new elbv2.DescribeTargetGroupsCommand({ Marker }));
        for (const tg of page.TargetGroups ?? []) if (tg.VpcId === vpcId && tg.TargetGroupArn) arns.push(tg.TargetGroupArn);
        Marker = page.NextMarker;
      } while (Marker);
      const tagged = await v2TaggedArns(arns, clusterName);
      return arns.filter((a) => tagged.has(a));
    },
    async deleteTargetGroup(arn) {
      await ignoreNotFound(c.elbv2.send(new elbv2.DeleteTargetGroupCommand({ TargetGroupArn: arn })));
    },
    async volumes(clusterName) {
      const out: ClusterVolume[] = [];
      let NextToken: string | undefined;
      do {
        const page = await c.ec2.send(
          new ec2.DescribeVolumesCommand({
            Filters: [
              { Name: "tag-key", Values: [clusterTag(clusterName)] },
              { Name: `tag:${CSI_VOLUME_TAG}`, Values: ["true"] },
            ],
            NextToken,
          }),
        );
        for (const v of page.Volumes ?? []) {
          if (!v.VolumeId) continue;
          out.push({
            id: v.VolumeId,
            state: v.State ?? "unknown",
            attachedTo: (v.Attachments ?? []).map((a) => a.InstanceId ?? "?"),
          });
        }
        NextToken = page.NextToken;
      } while (NextToken);
      return out;
    },
    async detachVolume(id, instanceId) {
      // Force: the node's kubelet no longer has a pod using it, and the CSI controller may be gone.
      await ignoreNotFound(c.ec2.send(new ec2.DetachVolumeCommand({ VolumeId: id, InstanceId: instanceId, Force: true })));
    },
    async deleteVolume(id) {
      await ignoreNotFound(c.ec2.send(new ec2.DeleteVolumeCommand({ VolumeId: id })));
    },
    async loadBalancerSecurityGroups(clusterName, vpcId) {
      const groups = await securityGroups([
        { Name: "vpc-id", Values: [vpcId] },
        { Name: "tag-key", Values: [clusterTag(clusterName)] },
        { Name: "group-name", Values: [`${CCM_SECURITY_GROUP_PREFIX}*`] },
      ]);
      return groups.map((g) => g.GroupId).filter((id): id is string => !!id);
    },
    async revokeReferencesTo(groupId, vpcId) {
      const referencing = await securityGroups([
        { Name: "vpc-id", Values: [vpcId] },
        { Name: "ip-permission.group-id", Values: [groupId] },
      ]);
      for (const g of referencing) {
        const perms = (g.IpPermissions ?? [])
          .map((p) => ({ ...p, UserIdGroupPairs: (p.UserIdGroupPairs ?? []).filter((pair) => pair.GroupId === groupId), IpRanges: [], Ipv6Ranges: [], PrefixListIds: [] }))
          .filter((p) => p.UserIdGroupPairs.length > 0);
        if (g.GroupId && perms.length > 0) {
          await ignoreNotFound(c.ec2.send(new ec2.RevokeSecurityGroupIngressCommand({ GroupId: g.GroupId, IpPermissions: perms })));
        }
      }
    },
    async deleteSecurityGroup(groupId) {
      await ignoreNotFound(c.ec2.send(new ec2.DeleteSecurityGroupCommand({ GroupId: groupId })));
    },
    async loadBalancerInterfaces(vpcId) {
      const ids: string[] = [];
      let NextToken: string | undefined;
      do {
        const page = await c.ec2.send(
          new ec2.DescribeNetworkInterfacesCommand({
            Filters: [
              { Name: "vpc-id", Values: [vpcId] },
              { Name: "description", Values: ["ELB *"] },
            ],
            NextToken,
          }),
        );
        for (const n of page.NetworkInterfaces ?? []) if (n.NetworkInterfaceId) ids.push(n.NetworkInterfaceId);
        NextToken = page.NextToken;
      } while (NextToken);
      return ids;
    },
  };
}
