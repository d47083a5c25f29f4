/**
 * Everything Pulumi declares inside the cluster, in dependency order: add-ons →
 * teardown step → ingress load balancer and workloads, through the Kubernetes
 * provider it is given (the program's comes from {@link ClusterAccess}, after
 * `/readyz`; a test may hand in any other). Nothing of it exists when
 * `workloads.enabled` is false.
 */
import * as k8s from "@pulumi/kubernetes";
import * as pulumi from "@pulumi/pulumi";
import type { DeployContext } from "../../charts/registry";
import type { PlatformValues } from "../../charts/values";
import { ClusterAddons, ClusterAddonsArgs } from "./addons";
import { IngressLoadBalancer } from "./addons/ingress";
import { ClusterAccess } from "./access";

export { ClusterAccess } from "./access";
import type { ClusterConfig } from "../config";
import type { WorkloadsConfig } from "../config/workloads";
import { ClusterTeardown } from "./teardown/index";
import { Workloads } from "./workloads";

export interface ClusterAccessArgs {
  readonly workloads: WorkloadsConfig;
  readonly kubeconfig: pulumi.Output<string>;
  readonly apiServerUrl: pulumi.Output<string>;
  readonly caCertPem: pulumi.Output<string>;
  readonly sessionCommand: pulumi.Output<string>;
  readonly controlPlaneInstanceId: pulumi.Output<string>;
  /** What the API server needs before it can answer (the control plane, its network and permissions). */
  readonly infrastructure: pulumi.Resource[];
}

/** The admin provider, handed out once the API server answers `/readyz`. */
export function declareClusterAccess(name: string, a: ClusterAccessArgs): ClusterAccess {
  return new ClusterAccess(`${name}-access`, {
    kubeconfig: a.kubeconfig,
    apiServerUrl: a.apiServerUrl,
    caCertPem: a.caCertPem,
    sessionCommand: a.sessionCommand,
    controlPlaneInstanceId: a.controlPlaneInstanceId,
    readyTimeoutMinutes: a.workloads.apiReadyTimeoutMinutes,
    localPort: a.workloads.apiServerLocalPort,
    deleteUnreachable: a.workloads.deleteUnreachable,
    dependsOn: a.infrastructure,
  });
}

export interface ClusterSideArgs {
  /** Every Kubernetes resource goes through it. */
  readonly provider: k8s.Provider;
  readonly cluster: ClusterConfig;
  readonly workloads: WorkloadsConfig;
  readonly values: PlatformValues;
  readonly vpcId: pulumi.Output<string>;
  readonly terminationQueueUrl: pulumi.Output<string>;
  /**
   * The AWS roles of the add-ons that call AWS, with their service accounts.
   * @default {}
   */
  readonly addonAwsRoles?: ClusterAddonsArgs["awsRoles"];
  /** What only the deployment knows (queue URLs, ...), by chart id, for the charts that declare AWS messaging. */
  readonly deployContexts?: Readonly<Record<string, pulumi.Output<DeployContext>>>;
  /** The AWS side that must outlive everything in the cluster on destroy (workers, control plane, network, ...). */
  readonly infrastructure: pulumi.Resource[];
}

export interface ClusterSide {
  readonly addons: ClusterAddons;
  readonly teardown: ClusterTeardown;
  readonly ingress: IngressLoadBalancer;
  readonly workloads: Workloads;
}

export function declareClusterSide(name: string, a: ClusterSideArgs): ClusterSide {
  const c = a.cluster;
  const provider = a.provider;
  const addons = new ClusterAddons(`${name}-addons`, {
    provider,
    clusterName: c.clusterName,
    region: c.region,
    podCidr: c.podCidr,
    terminationQueueUrl: a.terminationQueueUrl,
    ingressClass: a.values.global.ingressClass,
    storageClassName: a.values.global.storageClass,
    kubernetesVersion: c.kubernetesVersion,
    awsRoles: a.addonAwsRoles,
    dependsOn: a.infrastructure,
  });
  const teardown = new ClusterTeardown(`${name}-teardown`, {
    clusterName: c.clusterName,
    region: c.region,
    vpcId: a.vpcId,
    timeoutMinutes: a.workloads.teardownTimeoutMinutes,
    dependsOn: [addons, ...a.infrastructure],
  });
  const ingress = new IngressLoadBalancer(`${name}-ingress`, {
    provider,
    tags: c.tags,
    dependsOn: [teardown.resource, addons.charts.nginxIngress],
  });
  const workloads = new Workloads(`${name}-workloads`, {
    provider,
    charts: a.workloads.charts,
    values: a.values,
    deployContexts: a.deployContexts,
    stackSecrets: a.workloads.stackSecrets,
    platform: { ...addons.charts, storageClass: addons.storageClass },
    teardown: teardown.resource,
  });
  return { addons, teardown, ingress, workloads };
}
