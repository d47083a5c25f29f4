/**
 * Worker pools: per configured pool a launch template and an autoscaling group over
 * every public subnet, with a termination lifecycle hook (aws-node-termination-handler
 * drains the node before the instance goes, see termination.ts) and the tags the
 * cluster autoscaler discovers groups and scale-from-zero templates by.
 *
 * Nodes join by themselves: the user-data carries the scripts of infra/nodes/bootstrap and
 * non-secret values only; worker-join.sh reads the bootstrap token from the join
 * secret with the worker role (see join-token-rotate.sh for who writes it).
 *
 * Desired capacity is the pool's initial size only (`ignoreChanges`): afterwards the
 * cluster autoscaler owns it, and `pulumi up` must not undo its decisions. Scaling by
 * hand goes through minSize/maxSize (AWS moves the desired capacity into the new
 * bounds) or the console; see README "Scaling a pool by hand".
 */
import * as aws from "@pulumi/aws";
import * as pulumi from "@pulumi/pulumi";
import type { NodePoolConfig } from "../config/node-pools";
import { CA_LABEL_TAG_PREFIX, CA_TAINT_TAG_PREFIX, PLATFORM_ASG_TAG_COUNT } from "../config/node-pools";
import { encodeUserData, renderNodeUserData } from "./user-data";
import { ubuntuAmiQuery } from "./ami";
import { resourceTags } from "../aws/tags";
import { ECR_CREDENTIAL_PROVIDER_SHA256, ECR_CREDENTIAL_PROVIDER_VERSION, KUBEADM_API_VERSION, KUBERNETES_PACKAGE_REVISION } from "../versions";

/** How long an instance may stay in Terminating:Wait while the handler drains it. */
export const DRAIN_HEARTBEAT_TIMEOUT_SECONDS = 600;
/** Time a new worker needs to boot, prepare and join before instance refresh counts it. */
export const INSTANCE_WARMUP_SECONDS = 300;
/** The tag aws-node-termination-handler checks before it drains an instance (its default `managedTag`). */
export const NTH_MANAGED_TAG = "aws-node-termination-handler/managed";

export interface WorkerBootstrapValues {
  readonly clusterName: string;
  readonly region: string;
  readonly kubernetesVersion: string;
  readonly joinSecretArn: string;
  readonly joinTimeoutMinutes: number;
  readonly pool: Pick<NodePoolConfig, "name" | "labels" | "taints">;
}

/** kubelet `--node-labels` syntax. Pure. */
export function nodeLabelsArg(labels: Readonly<Record<string, string>>): string {
  return Object.entries(labels)
    .map(([k, v]) => `${k}=${v}`)
    .join(",");
}

/** `key=value:Effect,...` as worker-join.sh reads it (and the kubelet's --register-with-taints). Pure. */
export function nodeTaintsArg(taints: NodePoolConfig["taints"]): string {
  return taints.map((t) => `${t.key}=${t.value}:${t.effect}`).join(",");
}

/** The env file's values, in the order the scripts document them. Pure. */
export function workerBootstrapEnv(v: WorkerBootstrapValues): Record<string, string | number> {
  return {
    CLUSTER_NAME: v.clusterName,
    AWS_REGION: v.region,
    KUBERNETES_VERSION: v.kubernetesVersion,
    KUBERNETES_PACKAGE_VERSION: `${v.kubernetesVersion}-${KUBERNETES_PACKAGE_REVISION}`,
    KUBEADM_API_VERSION,
    ECR_CREDENTIAL_PROVIDER_VERSION,
    ECR_CREDENTIAL_PROVIDER_SHA256_AMD64: ECR_CREDENTIAL_PROVIDER_SHA256.amd64,
    ECR_CREDENTIAL_PROVIDER_SHA256_ARM64: ECR_CREDENTIAL_PROVIDER_SHA256.arm64,
    JOIN_SECRET_ARN: v.joinSecretArn,
    WORKER_JOIN_TIMEOUT_MINUTES: v.joinTimeoutMinutes,
    NODE_POOL: v.pool.name,
    NODE_LABELS: nodeLabelsArg(v.pool.labels),
    NODE_TAINTS: nodeTaintsArg(v.pool.taints),
    // Any failed bootstrap step hands the instance back to the group (bootstrap.sh).
    BOOTSTRAP_ON_FAILURE: "replace-instance",
  };
}

/**
 * A worker's cloud-config (plain text). worker-join.sh is the only step: it runs
 * node-prepare.sh and ecr-credential-provider.sh itself, and does nothing at all on a
 * node that has joined, so the reboot-time re-run of the steps leaves it alone.
 * Pure apart from reading infra/nodes/bootstrap.
 */
export function renderWorkerUserData(v: WorkerBootstrapValues): string {
  return renderNodeUserData({
    env: workerBootstrapEnv(v),
    steps: ["worker-join"],
    extraScripts: ["node-prepare", "ecr-credential-provider"],
    header: `Worker pool ${v.pool.name} of cluster ${v.clusterName}. Rendered by infra/nodes/workers.ts; non-secret values only.`,
  });
}

export interface AsgTag {
  readonly key: string;
  readonly value: string;
  readonly propagateAtLaunch: boolean;
}

/**
 * The group's tags. Propagated to instances: the user's tags, Name, the cluster tag
 * (the cloud controller manager's) and the termination handler's managed tag.
 * Group-only: autoscaler discovery, and the template tags that describe the pool's
 * labels and taints to the autoscaler while the group has no node to look at. Pure.
 */
export function asgTags(clusterName: string, userTags: Readonly<Record<string, string>>, pool: NodePoolConfig): AsgTag[] {
  const propagated = resourceTags(clusterName, userTags, `${clusterName}-${pool.name}`, {
    [NTH_MANAGED_TAG]: "true",
    "platform/node-pool": pool.name,
  });
  const groupOnly: Record<string, string> = {
    "k8s.io/cluster-autoscaler/enabled": "true",
    [`k8s.io/cluster-autoscaler/${clusterName}`]: "owned",
  };
  for (const [k, v] of Object.entries(pool.labels)) groupOnly[`${CA_LABEL_TAG_PREFIX}${k}`] = v;
  for (const t of pool.taints) groupOnly[`${CA_TAINT_TAG_PREFIX}${t.key}`] = `${t.value}:${t.effect}`;
  const tags = [
    ...Object.entries(propagated).map(([key, value]) => ({ key, value, propagateAtLaunch: true })),
    ...Object.entries(groupOnly).map(([key, value]) => ({ key, value, propagateAtLaunch: false })),
  ];
  const platformTags = tags.length - Object.keys(userTags).length - Object.keys(pool.labels).length - pool.taints.length;
  if (platformTags !== PLATFORM_ASG_TAG_COUNT) {
    // Config validation budgets the 50-tag limit with this count; keep them in step.
    throw new Error(`workers: the platform sets ${platformTags} group tags but PLATFORM_ASG_TAG_COUNT says ${PLATFORM_ASG_TAG_COUNT}`);
  }
  return tags;
}

/** Instance types of the group: a mixed instances policy when spot or several types. Pure. */
export function usesMixedInstancesPolicy(pool: Pick<NodePoolConfig, "spot" | "instanceTypes">): boolean {
  return pool.spot || pool.instanceTypes.length > 1;
}

export interface NodePoolArgs {
  readonly clusterName: string;
  readonly region: string;
  /** The control plane's version once it runs it ({@link import("./control-plane").ControlPlane.kubernetesVersion}), so pools roll after it. */
  readonly kubernetesVersion: pulumi.Input<string>;
  readonly pool: NodePoolConfig;
  readonly joinTimeoutMinutes: number;
  readonly subnetIds: pulumi.Input<pulumi.Input<string>[]>;
  readonly securityGroupId: pulumi.Input<string>;
  readonly instanceProfileArn: pulumi.Input<string>;
  readonly joinSecretArn: pulumi.Input<string>;
  /**
   * Extra tags (the cluster `tags`).
   * @default {}
   */
  readonly tags?: Readonly<Record<string, string>>;
  /**
   * Public IPv4 addresses for the instances: required in public subnets without a NAT gateway.
   * @default true
   */
  readonly associatePublicIpAddress?: boolean;
  /**
   * EC2 key pair installed on the instances (the cluster `sshKeyName`), as on the control
   * plane: the worker security group opens port 22 to the same `sshAllowedCidrs`.
   * @default no key pair
   */
  readonly sshKeyName?: string;
  /**
   * What the group must wait for (the worker role's policies, so nodes boot with them in place).
   * @default []
   */
  readonly dependsOn?: pulumi.Input<pulumi.Resource>[];
}

export class NodePool extends pulumi.ComponentResource {
  readonly asgName: pulumi.Output<string>;
  readonly asgArn: pulumi.Output<string>;
  readonly launchTemplateId: pulumi.Output<string>;
  /** The rendered cloud-config (non-secret by construction), for review and tests. */
  readonly userData: pulumi.Output<string>;

  constructor(name: string, args: NodePoolArgs, opts?: pulumi.ComponentResourceOptions) {
    super("platform:infra:NodePool", name, {}, opts);
    const parent = { parent: this };
    const { pool, clusterName } = args;
    const userTags = args.tags ?? {};
    const instanceTags = resourceTags(clusterName, userTags, `${clusterName}-${pool.name}`, {
      [NTH_MANAGED_TAG]: "true",
      "platform/node-pool": pool.name,
    });

    // A configured AMI is looked up too: its root device name places the root volume.
    const ami = aws.ec2.getAmiOutput(
      pool.amiId ? { filters: [{ name: "image-id", values: [pool.amiId] }] } : ubuntuAmiQuery(pool.instanceTypes[0]),
      parent,
    );

    this.userData = pulumi.all([args.joinSecretArn, args.kubernetesVersion]).apply(([joinSecretArn, kubernetesVersion]) =>
      renderWorkerUserData({
        clusterName,
        region: args.region,
        kubernetesVersion,
        joinSecretArn,
        joinTimeoutMinutes: args.joinTimeoutMinutes,
        pool,
      }),
    );

    const launchTemplate = new aws.ec2.LaunchTemplate(
      name,
      {
        namePrefix: `${clusterName}-${pool.name}-`,
        description: `Workers of pool ${pool.name}, cluster ${clusterName}`,
        imageId: ami.id,
        instanceType: pool.instanceTypes[0],
        keyName: args.sshKeyName,
        iamInstanceProfile: { arn: args.instanceProfileArn },
        userData: this.userData.apply(encodeUserData),
        // A worker whose bootstrap fails powers itself off (bootstrap.sh); terminating
        // on shutdown makes that a replacement by the group, with no IAM permission needed.
        instanceInitiatedShutdownBehavior: "terminate",
        metadataOptions: {
          httpEndpoint: "enabled",
          httpTokens: "required",
          // 1: a pod's network namespace is one hop further, so no pod can read the join
          // token (and join as any node) with the worker role. Pods that call AWS assume
          // their own roles (infra/aws/identity.ts); the kubelet's ECR credential
          // provider and the bootstrap run on the host.
          httpPutResponseHopLimit: 1,
          instanceMetadataTags: "disabled",
        },
        blockDeviceMappings: [
          {
            deviceName: ami.rootDeviceName,
            ebs: {
              volumeType: "gp3",
              volumeSize: pool.rootVolumeSizeGiB,
              encrypted: "true",
              deleteOnTermination: "true",
            },
          },
        ],
        networkInterfaces: [
          {
            deviceIndex: 0,
            associatePublicIpAddress: String(args.associatePublicIpAddress ?? true),
            securityGroups: [args.securityGroupId],
            deleteOnTermination: "true",
          },
        ],
        tagSpecifications: ["instance", "volume", "network-interface"].map((resourceType) => ({
          resourceType,
          tags: instanceTags,
        })),
        updateDefaultVersion: true,
        tags: resourceTags(clusterName, userTags, `${clusterName}-${pool.name}`),
      },
      parent,
    );

    const version = launchTemplate.latestVersion.apply((v) => String(v));
    const group = new aws.autoscaling.Group(
      name,
      {
        namePrefix: `${clusterName}-${pool.name}-`,
        minSize: pool.minSize,
        maxSize: pool.maxSize,
        desiredCapacity: pool.desiredSize,
        vpcZoneIdentifiers: args.subnetIds,
        healthCheckType: "EC2",
        healthCheckGracePeriod: INSTANCE_WARMUP_SECONDS,
        // Replace spot instances at risk before they are reclaimed (the handler drains the old one).
        capacityRebalance: pool.spot,
        ...(usesMixedInstancesPolicy(pool)
          ? {
              mixedInstancesPolicy: {
                instancesDistribution: {
                  onDemandBaseCapacity: pool.onDemandBaseCapacity,
                  onDemandPercentageAboveBaseCapacity: pool.spot ? 0 : 100,
                  onDemandAllocationStrategy: "prioritized",
                  spotAllocationStrategy: "price-capacity-optimized",
                },
                launchTemplate: {
                  launchTemplateSpecification: { launchTemplateId: launchTemplate.id, version },
                  overrides: pool.instanceTypes.map((instanceType) => ({ instanceType })),
                },
              },
            }
          : { launchTemplate: { id: launchTemplate.id, version } }),
        // A new launch template version (AMI, user-data) rolls the pool; every replaced
        // instance goes through the termination hook, so it is drained first.
        instanceRefresh: {
          strategy: "Rolling",
          preferences: { minHealthyPercentage: 90, instanceWarmup: String(INSTANCE_WARMUP_SECONDS) },
        },
        tags: asgTags(clusterName, userTags, pool),
      },
      { parent: this, ignoreChanges: ["desiredCapacity"], dependsOn: args.dependsOn },
    );

    new aws.autoscaling.LifecycleHook(
      `${name}-drain`,
      {
        name: "drain-before-terminate",
        autoscalingGroupName: group.name,
        lifecycleTransition: "autoscaling:EC2_INSTANCE_TERMINATING",
        // The handler completes the hook once the node is drained; if it never does (not
        // installed, or down), the instance terminates after the timeout anyway.
        heartbeatTimeout: DRAIN_HEARTBEAT_TIMEOUT_SECONDS,
        defaultResult: "CONTINUE",
      },
      parent,
    );

    this.asgName = group.name;
    this.asgArn = group.arn;
    this.launchTemplateId = launchTemplate.id;
    this.registerOutputs({ asgName: this.asgName, asgArn: this.asgArn, launchTemplateId: this.launchTemplateId });
  }
}

export interface WorkerPoolsArgs extends Omit<NodePoolArgs, "pool"> {
  readonly pools: readonly NodePoolConfig[];
}

/**
 * Every configured pool. The worker role cannot mark instances unhealthy (IAM cannot
 * limit that to the caller's own instance, so any worker could have replaced a peer):
 * a worker whose bootstrap fails powers itself off, and the launch template's
 * shutdown behaviour "terminate" makes its group replace it.
 */
export class WorkerPools extends pulumi.ComponentResource {
  readonly pools: NodePool[];
  /** Pool name to autoscaling group name. */
  readonly asgNames: pulumi.Output<Record<string, string>>;
  readonly asgNameList: pulumi.Output<string[]>;

  constructor(name: string, args: WorkerPoolsArgs, opts?: pulumi.ComponentResourceOptions) {
    super("platform:infra:WorkerPools", name, {}, opts);
    const parent = { parent: this };

    const { pools, ...shared } = args;
    this.pools = pools.map((pool) => new NodePool(`${name}-${pool.name}`, { ...shared, pool }, parent));
    this.asgNameList = pulumi.all(this.pools.map((p) => p.asgName));
    this.asgNames = this.asgNameList.apply((names) => Object.fromEntries(pools.map((p, i) => [p.name, names[i]])));
    this.registerOutputs({ asgNames: this.asgNames });
  }
}
