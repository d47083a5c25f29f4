/**
 * The teardown step: a resource that does nothing on `pulumi up` and, on
 * `pulumi destroy`, removes what the cluster's controllers created in AWS outside
 * Pulumi's state (infra/cluster/teardown/cleanup.ts) and waits until AWS reports it gone.
 *
 * Its place in the dependency graph is the guarantee (Pulumi deletes in reverse
 * dependency order):
 *
 *   network, control plane, worker pools  ◄── ClusterAddons ◄── ClusterTeardown ◄── workloads,
 *                                              (CCM, EBS CSI)                       ingress Service
 *
 *   1. workloads and the ingress LoadBalancer Service are deleted first, while the
 *      cloud controller manager and the EBS CSI driver still run: they delete the
 *      load balancer and the released volumes the normal way;
 *   2. then this step's delete: wait for those deletions, delete whatever is left,
 *      wait until AWS reports it gone (bounded; a timeout stops `pulumi destroy` with
 *      the IDs that are left, before the VPC would fail on them);
 *   3. only then the add-ons, and after them the nodes and the VPC.
 */
import * as pulumi from "@pulumi/pulumi";
import { cleanupCluster } from "./cleanup";
import { loadAwsSdk, sdkCleanupAws, sdkClients } from "./aws";

interface TeardownProps {
  readonly clusterName: string;
  readonly region: string;
  readonly vpcId: string;
  readonly timeoutMinutes: number;
}

/**
 * The dynamic provider. Pulumi serializes its code into the state; it loads the AWS
 * SDK with `require` when it runs (capturing the SDK's objects would copy them).
 */
export const teardownProvider: pulumi.dynamic.ResourceProvider = {
  async create(inputs: TeardownProps) {
    return { id: `${inputs.clusterName}-teardown`, outs: inputs };
  },
  async diff(_id: string, olds: TeardownProps, news: TeardownProps) {
    const changes = (Object.keys(news) as (keyof TeardownProps)[]).some((k) => olds[k] !== news[k]);
    return { changes, replaces: [], deleteBeforeReplace: false };
  },
  async update(_id: string, _olds: TeardownProps, news: TeardownProps) {
    return { outs: news };
  },
  async delete(_id: string, props: TeardownProps) {
    const sdk = loadAwsSdk();
    const report = await cleanupCluster(sdkCleanupAws(sdkClients(sdk, props.region), sdk), {
      clusterName: props.clusterName,
      vpcId: props.vpcId,
      timeoutMs: props.timeoutMinutes * 60_000,
      log: (m) => console.log(`teardown ${props.clusterName}: ${m}`),
    });
    console.log(`teardown ${props.clusterName}: done ${JSON.stringify(report)}`);
  },
};

export interface ClusterTeardownArgs {
  readonly clusterName: string;
  readonly region: string;
  readonly vpcId: pulumi.Input<string>;
  /** Bound on the whole cleanup during `pulumi destroy`. @default 20 */
  readonly timeoutMinutes?: number;
  /**
   * What must outlive the cleanup: the add-ons (the controllers that delete cleanly),
   * the worker pools, the control plane and the network.
   */
  readonly dependsOn: pulumi.Input<pulumi.Resource>[];
}

class TeardownResource extends pulumi.dynamic.Resource {
  constructor(name: string, props: pulumi.Inputs, opts?: pulumi.CustomResourceOptions) {
    super(teardownProvider, name, props, opts, "platform", "ClusterTeardown");
  }
}

/** Make every workload and the ingress Service depend on {@link ClusterTeardown.resource}. */
export class ClusterTeardown extends pulumi.ComponentResource {
  readonly resource: pulumi.CustomResource;

  constructor(name: string, args: ClusterTeardownArgs, opts?: pulumi.ComponentResourceOptions) {
    super("platform:infra:ClusterTeardown", name, {}, opts);
    this.resource = new TeardownResource(
      name,
      {
        clusterName: args.clusterName,
        region: args.region,
        vpcId: args.vpcId,
        timeoutMinutes: args.timeoutMinutes ?? 20,
      },
      // The whole cleanup may take the timeout; Pulumi must not give up earlier.
      { parent: this, dependsOn: args.dependsOn, customTimeouts: { delete: `${(args.timeoutMinutes ?? 20) + 5}m` } },
    );
    this.registerOutputs({});
  }
}
