/**
 * Removes what in-cluster controllers created in AWS outside Pulumi's state, and
 * waits until AWS reports it gone: load balancers (and their target groups,
 * security groups and network interfaces) made by the cloud controller manager,
 * and EBS volumes made by the EBS CSI driver. Run by the teardown step
 * (infra/cluster/teardown/index.ts) on `pulumi destroy`, after the workloads were deleted and
 * before the nodes and the VPC go.
 *
 * What it touches, and only that (never a resource Pulumi manages):
 *   - load balancers (NLB/ALB and classic) in the cluster's VPC tagged
 *     `kubernetes.io/cluster/<name>`, and target groups with that tag;
 *   - volumes tagged both `kubernetes.io/cluster/<name>` and `ebs.csi.aws.com/cluster=true`
 *     (the CSI driver's own marker; node root volumes carry only the first);
 *   - security groups of the VPC with that tag whose name starts `k8s-elb-` (the CCM's);
 *   - it waits for the `ELB ...` network interfaces of the VPC to disappear, since
 *     they block deleting subnets and the VPC for minutes after their load balancer.
 *
 * The logic runs against {@link CleanupAws}, a narrow interface; `sdkCleanupAws`
 * implements it with the AWS SDK v3 and tests with a fake.
 */

export interface TaggedLoadBalancer {
  /** ARN for v2 (network/application), name for classic. */
  readonly id: string;
  readonly kind: "v2" | "classic";
}

export interface ClusterVolume {
  readonly id: string;
  /** EC2 state: creating | available | in-use | deleting | deleted | error */
  readonly state: string;
  readonly attachedTo: readonly string[];
}

/** The AWS calls the cleanup needs, already filtered to this cluster. */
export interface CleanupAws {
  loadBalancers(clusterName: string, vpcId: string): Promise<TaggedLoadBalancer[]>;
  deleteLoadBalancer(lb: TaggedLoadBalancer): Promise<void>;
  targetGroups(clusterName: string, vpcId: string): Promise<string[]>;
  deleteTargetGroup(arn: string): Promise<void>;
  volumes(clusterName: string): Promise<ClusterVolume[]>;
  detachVolume(id: string, instanceId: string): Promise<void>;
  deleteVolume(id: string): Promise<void>;
  loadBalancerSecurityGroups(clusterName: string, vpcId: string): Promise<string[]>;
  /** Removes rules in other groups that reference `groupId` (the CCM adds them to the node groups). */
  revokeReferencesTo(groupId: string, vpcId: string): Promise<void>;
  deleteSecurityGroup(groupId: string): Promise<void>;
  /** IDs of the VPC's network interfaces that belong to load balancers. */
  loadBalancerInterfaces(vpcId: string): Promise<string[]>;
}

export interface CleanupOptions {
  readonly clusterName: string;
  readonly vpcId: string;
  /** How long the controllers get to finish deleting on their own before the cleanup deletes. @default 120_000 */
  readonly graceMs?: number;
  /** Give up (with an error naming what is left) after this long in total. @default 900_000 */
  readonly timeoutMs?: number;
  /** @default 10_000 */
  readonly pollMs?: number;
  readonly now?: () => number;
  readonly sleep?: (ms: number) => Promise<void>;
  readonly log?: (message: string) => void;
}

export interface CleanupReport {
  readonly deletedLoadBalancers: string[];
  readonly deletedTargetGroups: string[];
  readonly deletedVolumes: string[];
  readonly deletedSecurityGroups: string[];
}

/** A leftover that could not be removed in time; `pulumi destroy` stops rather than fail on the VPC later. */
export class CleanupTimeoutError extends Error {
  constructor(what: string, ids: readonly string[], minutes: number) {
    super(
      `Teardown: after ${minutes} min AWS still reports ${what}: ${ids.join(", ")}. ` +
        `Delete them in the console or with the AWS CLI, then run \`pulumi destroy\` again.`,
    );
    this.name = "CleanupTimeoutError";
  }
}

/** Volumes the driver has not finished with (not yet available to delete, not yet gone). */
const VOLUME_GONE = new Set(["deleted"]);

export async function cleanupCluster(aws: CleanupAws, o: CleanupOptions): Promise<CleanupReport> {
  const now = o.now ?? Date.now;
  const sleep = o.sleep ?? ((ms: number) => new Promise<void>((r) => setTimeout(r, ms)));
  const log = o.log ?? (() => undefined);
  const poll = o.pollMs ?? 10_000;
  const start = now();
  const deadline = start + (o.timeoutMs ?? 900_000);
  const graceEnd = start + (o.graceMs ?? 120_000);
  const minutes = Math.round((o.timeoutMs ?? 900_000) / 60_000);
  const report: CleanupReport = { deletedLoadBalancers: [], deletedTargetGroups: [], deletedVolumes: [], deletedSecurityGroups: [] };
  const remainingVolumes = async () => (await aws.volumes(o.clusterName)).filter((v) => !VOLUME_GONE.has(v.state));

  /** Polls `list` until empty; throws CleanupTimeoutError at `until`. */
  const waitGone = async (what: string, list: () => Promise<string[]>, until: number, throwAtEnd: boolean): Promise<string[]> => {
    for (;;) {
      const left = await list();
      if (left.length === 0) return [];
      if (now() >= until) {
        if (throwAtEnd) throw new CleanupTimeoutError(what, left, minutes);
        return left;
      }
      log(`waiting for ${left.length} ${what} to go: ${left.join(", ")}`);
      await sleep(Math.max(0, Math.min(poll, until - now())));
    }
  };

  // 1. The controllers are still running and were asked to delete (Services and PVCs
  //    are gone): give them the grace period to finish the clean way.
  await waitGone(
    "load balancers / volumes deleted by the cluster's controllers",
    async () => [
      ...(await aws.loadBalancers(o.clusterName, o.vpcId)).map((lb) => lb.id),
      ...(await remainingVolumes()).map((v) => v.id),
    ],
    graceEnd,
    false,
  );

  // 2. Load balancers they left behind (controller gone, finalizer removed by hand, ...).
  for (const lb of await aws.loadBalancers(o.clusterName, o.vpcId)) {
    log(`deleting load balancer ${lb.id}`);
    await aws.deleteLoadBalancer(lb);
    report.deletedLoadBalancers.push(lb.id);
  }
  await waitGone("load balancers", async () => (await aws.loadBalancers(o.clusterName, o.vpcId)).map((lb) => lb.id), deadline, true);

  // 3. Target groups can only go once no load balancer uses them.
  for (const arn of await aws.targetGroups(o.clusterName, o.vpcId)) {
    log(`deleting target group ${arn}`);
    await aws.deleteTargetGroup(arn);
    report.deletedTargetGroups.push(arn);
  }

  // 4. Volumes: detach what is still attached (its pod is gone), then delete when available.
  for (const v of await remainingVolumes()) {
    if (v.state === "in-use") {
      for (const instance of v.attachedTo) {
        log(`detaching volume ${v.id} from ${instance}`);
        await aws.detachVolume(v.id, instance);
      }
    }
  }
  await waitGone("volumes still attached", async () => (await remainingVolumes()).filter((v) => v.state === "in-use" || v.state === "creating").map((v) => v.id), deadline, true);
  for (const v of await remainingVolumes()) {
    if (v.state === "deleting") continue;
    log(`deleting volume ${v.id}`);
    await aws.deleteVolume(v.id);
    report.deletedVolumes.push(v.id);
  }
  await waitGone("volumes", async () => (await remainingVolumes()).map((v) => v.id), deadline, true);

  // 5. Load-balancer network interfaces linger after their load balancer; they block subnet and VPC deletion.
  await waitGone("load-balancer network interfaces", () => aws.loadBalancerInterfaces(o.vpcId), deadline, true);

  // 6. The CCM's security groups, once nothing uses them.
  for (const sg of await aws.loadBalancerSecurityGroups(o.clusterName, o.vpcId)) {
    log(`deleting security group ${sg}`);
    await aws.revokeReferencesTo(sg, o.vpcId);
    await aws.deleteSecurityGroup(sg);
    report.deletedSecurityGroups.push(sg);
  }
  await waitGone("load-balancer security groups", () => aws.loadBalancerSecurityGroups(o.clusterName, o.vpcId), deadline, true);
  return report;
}
