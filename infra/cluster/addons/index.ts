/**
 * The cluster add-ons, each from its upstream Helm chart at the version pinned in
 * ./versions.ts with the values reviewed in ./values.ts.
 *
 * `kubernetes.helm.v4.Chart`, not `helm.v3.Release`: v4 renders the chart and
 * manages every object as its own Pulumi resource, so a pull request's
 * `pulumi preview --diff` shows exactly which objects an upgrade changes, Pulumi's
 * await logic waits for each Deployment/DaemonSet to be ready (later steps can
 * depend on a working add-on), and `pulumi destroy` deletes the objects in
 * dependency order. A v3 Release is one opaque resource whose diff is a values blob.
 * (v4 does not run Helm hooks; the values turn the only hook used, cert-manager's
 * startupapicheck, off.)
 *
 * Order: Calico and the cloud controller manager first (nodes stay NotReady and
 * tainted "uninitialized" without them), then everything else.
 */
import { patchTerminationHandler } from "./web-identity";
import * as k8s from "@pulumi/kubernetes";
import * as pulumi from "@pulumi/pulumi";
import {
  AddonSettings,
  calicoValues,
  certManagerValues,
  cloudControllerManagerValues,
  clusterAutoscalerValues,
  ebsCsiDriverValues,
  metricsServerValues,
  nginxIngressValues,
  nodeTerminationHandlerValues,
  Values,
} from "./values";
import { ADDON_VERSIONS, AddonName, minorBoundImages } from "./versions";

/** The default StorageClass every PVC of the charts uses (encrypted gp3). */
export function defaultStorageClassSpec(name: string) {
  return {
    metadata: { name, annotations: { "storageclass.kubernetes.io/is-default-class": "true" } },
    provisioner: "ebs.csi.aws.com",
    parameters: { type: "gp3", encrypted: "true", "csi.storage.k8s.io/fstype": "ext4" },
    // The volume is created in the zone of the node the pod lands on, not a random one.
    volumeBindingMode: "WaitForFirstConsumer",
    reclaimPolicy: "Delete",
    allowVolumeExpansion: true,
  };
}

/** Release name of each add-on (the ingress controller's pod labels depend on its). */
export const RELEASE_NAMES: Readonly<Record<AddonName, string>> = {
  calico: "calico",
  cloudControllerManager: "aws-cloud-controller-manager",
  ebsCsiDriver: "aws-ebs-csi-driver",
  metricsServer: "metrics-server",
  certManager: "cert-manager",
  nginxIngress: "nginx-ingress",
  nodeTerminationHandler: "aws-node-termination-handler",
  clusterAutoscaler: "cluster-autoscaler",
};

/** Namespaces the program creates (the others install into kube-system). */
export const ADDON_NAMESPACES = [
  ADDON_VERSIONS.calico.namespace,
  ADDON_VERSIONS.certManager.namespace,
  ADDON_VERSIONS.nginxIngress.namespace,
] as const;

/** Every add-on's values for `settings`, by add-on. Pure. */
export function addonValues(settings: AddonSettings): Record<AddonName, Values> {
  return {
    calico: calicoValues(settings),
    cloudControllerManager: cloudControllerManagerValues(settings),
    ebsCsiDriver: ebsCsiDriverValues(settings),
    metricsServer: metricsServerValues(),
    certManager: certManagerValues(),
    nginxIngress: nginxIngressValues(settings),
    nodeTerminationHandler: nodeTerminationHandlerValues(settings),
    clusterAutoscaler: clusterAutoscalerValues(settings),
  };
}

export interface ClusterAddonsArgs {
  /** The provider from ClusterAccess (only usable once the API server is ready). */
  readonly provider: k8s.Provider;
  readonly clusterName: string;
  readonly region: string;
  readonly podCidr: string;
  readonly terminationQueueUrl: pulumi.Input<string>;
  readonly ingressClass: string;
  /** Name of the default StorageClass (charts' `global.storageClass`). */
  readonly storageClassName: string;
  /**
   * The cluster's Kubernetes release, whose minor picks the cloud controller manager and
   * cluster-autoscaler images (values.ts).
   * @default KUBERNETES_VERSION (infra/versions.ts)
   */
  readonly kubernetesVersion?: pulumi.Input<string>;
  /**
   * The role ARN of each add-on that calls AWS (infra/aws/identity.ts); its pods get
   * that role's web identity (web-identity.ts).
   * @default {} (no add-on gets AWS credentials)
   */
  readonly awsRoles?: {
    readonly ebsCsiDriver?: pulumi.Input<string>;
    readonly nodeTerminationHandler?: pulumi.Input<string>;
    readonly clusterAutoscaler?: pulumi.Input<string>;
  };
  /**
   * What must outlive the add-ons on `pulumi destroy` (the worker pools, the
   * termination queue): applied to every child, since a component's own
   * `dependsOn` does not reach the resources inside it.
   * @default []
   */
  readonly dependsOn?: pulumi.Input<pulumi.Resource>[];
}

export class ClusterAddons extends pulumi.ComponentResource {
  readonly charts: Readonly<Record<AddonName, k8s.helm.v4.Chart>>;
  readonly storageClass: k8s.storage.v1.StorageClass;
  /** What every workload needs: CNI, node initialization, volumes, certificates, ingress. */
  readonly workloadDependencies: pulumi.Resource[];

  constructor(name: string, args: ClusterAddonsArgs, opts?: pulumi.ComponentResourceOptions) {
    super("platform:infra:ClusterAddons", name, {}, opts);
    const provider = args.provider;
    const outer = args.dependsOn ?? [];

    const namespaces = Object.fromEntries(
      ADDON_NAMESPACES.map((ns) => [
        ns,
        new k8s.core.v1.Namespace(
          `${name}-${ns}`,
          {
            metadata: {
              name: ns,
              // calico-node and the CSI node plugin need privileged pods; the others don't.
              labels: { "pod-security.kubernetes.io/enforce": ns === ADDON_VERSIONS.calico.namespace ? "privileged" : "baseline" },
            },
          },
          { parent: this, provider, dependsOn: outer },
        ),
      ]),
    ) as Record<string, k8s.core.v1.Namespace>;

    // An unpinned minor stops the program here, not inside an apply after resources were declared.
    if (typeof args.kubernetesVersion === "string") minorBoundImages(args.kubernetesVersion);
    const roles = args.awsRoles ?? {};
    const values = pulumi
      .all([args.terminationQueueUrl, roles.ebsCsiDriver, roles.clusterAutoscaler, args.kubernetesVersion])
      .apply(([terminationQueueUrl, ebsCsiDriver, clusterAutoscaler, kubernetesVersion]) =>
        addonValues({
          clusterName: args.clusterName,
          region: args.region,
          podCidr: args.podCidr,
          terminationQueueUrl,
          ingressClass: args.ingressClass,
          awsRoleArns: { ebsCsiDriver, clusterAutoscaler },
          kubernetesVersion,
        }),
      );

    const chart = (addon: AddonName, dependsOn: pulumi.Resource[], extra: Partial<k8s.helm.v4.ChartArgs> = {}) => {
      const v = ADDON_VERSIONS[addon];
      const ns = namespaces[v.namespace];
      return new k8s.helm.v4.Chart(
        `${name}-${RELEASE_NAMES[addon]}`,
        {
          chart: v.chart,
          version: v.version,
          ...(v.repo ? { repositoryOpts: { repo: v.repo } } : {}),
          name: RELEASE_NAMES[addon],
          namespace: v.namespace,
          values: values.apply((all) => all[addon]),
          ...extra,
        },
        { parent: this, provider, dependsOn: [...outer, ...dependsOn, ...(ns ? [ns] : [])] },
      );
    };

    const calico = chart("calico", []);
    const ccm = chart("cloudControllerManager", []);
    const base = [calico, ccm];
    const ebs = chart("ebsCsiDriver", base);
    const metrics = chart("metricsServer", base);
    const certManager = chart("certManager", base);
    // The VirtualServer CRDs are only needed with enableCustomResources (off).
    const nginx = chart("nginxIngress", base, { skipCrds: true });
    const nth = chart("nodeTerminationHandler", base);
    if (roles.nodeTerminationHandler !== undefined) {
      patchTerminationHandler(`${name}-${RELEASE_NAMES.nodeTerminationHandler}-web-identity`, ADDON_VERSIONS.nodeTerminationHandler.namespace, roles.nodeTerminationHandler, {
        parent: this,
        provider,
        dependsOn: [nth],
      });
    }
    const autoscaler = chart("clusterAutoscaler", base);
    this.charts = {
      calico,
      cloudControllerManager: ccm,
      ebsCsiDriver: ebs,
      metricsServer: metrics,
      certManager,
      nginxIngress: nginx,
      nodeTerminationHandler: nth,
      clusterAutoscaler: autoscaler,
    };

    this.storageClass = new k8s.storage.v1.StorageClass(`${name}-default-storage`, defaultStorageClassSpec(args.storageClassName), {
      parent: this,
      provider,
      dependsOn: [...outer, ebs],
    });

    this.workloadDependencies = [calico, ccm, ebs, this.storageClass, metrics, certManager, nginx];
    this.registerOutputs({});
  }
}
