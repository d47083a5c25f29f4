/**
 * The reviewed Helm values of every add-on, as pure functions of the cluster's
 * settings, so tests read exactly what `pulumi up` hands to each chart.
 *
 * Placement: the controllers that call AWS run on the control-plane node. The cloud
 * controller manager (host network) uses the control-plane role; the EBS CSI
 * controller, termination handler and cluster-autoscaler each assume their own role
 * through their service account (infra/aws/identity.ts, web-identity.ts), since no
 * pod reaches the instance role (IMDS hop limit 1).
 */
import { INGRESS_CONTROLLER_PODS } from "../../../lib/platform-pods";
import { ADDON_SERVICE_ACCOUNTS } from "../../aws/identity";
import { NTH_MANAGED_TAG } from "../../nodes/workers";
import { clusterAutoscalerWebIdentity, ebsCsiControllerWebIdentity } from "./web-identity";
import { ADDON_VERSIONS, minorBoundImages, PinnedImage } from "./versions";

/** Settings the add-ons need from the rest of the program (plain data). */
export interface AddonSettings {
  readonly clusterName: string;
  readonly region: string;
  /** kubeadm's pod subnet; Calico's IP pool must be exactly this. */
  readonly podCidr: string;
  /** SQS queue aws-node-termination-handler reads (infra/aws/termination.ts). */
  readonly terminationQueueUrl: string;
  /** IngressClass the F5 NGINX Ingress Controller serves (charts' `global.ingressClass`). */
  readonly ingressClass: string;
  /**
   * The IAM roles of the add-ons that call AWS through their charts' values (infra/aws/identity.ts).
   * @default {} (no AWS credentials in their pods)
   */
  readonly awsRoleArns?: { readonly ebsCsiDriver?: string; readonly clusterAutoscaler?: string };
  /**
   * The cluster's Kubernetes release: the cloud controller manager and cluster-autoscaler
   * images are its minor's row of MINOR_BOUND_IMAGES (./versions.ts).
   * @default KUBERNETES_VERSION (infra/versions.ts)
   */
  readonly kubernetesVersion?: string;
}

export type Values = Record<string, unknown>;

export const CONTROL_PLANE_LABEL = "node-role.kubernetes.io/control-plane";

/** Pin a pod to the (single) control-plane node. */
export const CONTROL_PLANE_NODE_SELECTOR: Readonly<Record<string, string>> = { [CONTROL_PLANE_LABEL]: "" };

export const CONTROL_PLANE_TOLERATION = { key: CONTROL_PLANE_LABEL, operator: "Exists", effect: "NoSchedule" } as const;

/**
 * With `cloud-provider: external` every node starts with this taint until the cloud
 * controller manager has initialized it; the CCM itself must tolerate it.
 */
export const UNINITIALIZED_TOLERATION = {
  key: "node.cloudprovider.kubernetes.io/uninitialized",
  operator: "Exists",
  effect: "NoSchedule",
} as const;

/** Until Calico runs, nodes are NotReady; the CCM (host network) must start anyway. */
const NOT_READY_TOLERATION = { key: "node.kubernetes.io/not-ready", operator: "Exists", effect: "NoSchedule" } as const;

/** Name of the LoadBalancer Service in front of the ingress controller (declared outside the chart, see ingress.ts). */
export const INGRESS_SERVICE_NAME = "nginx-ingress-controller";

/**
 * Pod labels of the ingress controller; the external Service selects on them and
 * the applications' NetworkPolicies admit them (lib/platform-pods.ts).
 */
export const INGRESS_SELECTOR_LABELS: Readonly<Record<string, string>> = INGRESS_CONTROLLER_PODS.labels;

/** The ingress controller's Prometheus exporter port (the prometheus chart scrapes it). */
export const INGRESS_METRICS_PORT = 9113;
/** cert-manager's metrics port (the prometheus chart scrapes it). */
export const CERT_MANAGER_METRICS_PORT = 9402;

/** The chart's `image` values; a pinned digest goes into the tag (`tag@sha256:...`), which every chart here joins as `repository:tag`. */
function image(i: PinnedImage): { repository: string; tag: string } {
  return { repository: i.repository, tag: i.digest ? `${i.tag}@${i.digest}` : i.tag };
}

function requests(cpu: string, memory: string, memoryLimit?: string) {
  return { requests: { cpu, memory }, ...(memoryLimit ? { limits: { memory: memoryLimit } } : {}) };
}

const controlPlanePlacement = {
  nodeSelector: CONTROL_PLANE_NODE_SELECTOR,
  tolerations: [CONTROL_PLANE_TOLERATION],
};

/** Calico by the Tigera operator: VXLAN (AWS does not carry BGP between subnets), pool = kubeadm's pod CIDR. */
export function calicoValues(s: AddonSettings): Values {
  return {
    installation: {
      enabled: true,
      // Self-managed kubeadm: none of the managed-Kubernetes presets applies.
      kubernetesProvider: "",
      cni: { type: "Calico" },
      calicoNetwork: {
        bgp: "Disabled",
        ipPools: [
          {
            name: "default-ipv4-ippool",
            cidr: s.podCidr,
            // VXLAN everywhere: the subnets span zones and EC2 drops IP-in-IP between them
            // unless security groups allow protocol 4; VXLAN is UDP 4789 inside the cluster groups.
            encapsulation: "VXLAN",
            natOutgoing: "Enabled",
            nodeSelector: "all()",
            blockSize: 26,
          },
        ],
      },
    },
    // The Calico API server (calicoctl-style objects through kubectl) and the flow-log
    // components are optional; they cost memory on small nodes and nothing here uses them.
    apiServer: { enabled: false },
    goldmane: { enabled: false },
    whisker: { enabled: false },
    resources: requests("50m", "64Mi", "256Mi"),
  };
}

/** AWS cloud controller manager: node initialization and Service type LoadBalancer (NLB/CLB). */
export function cloudControllerManagerValues(s: AddonSettings): Values {
  return {
    image: image(minorBoundImages(s.kubernetesVersion).cloudControllerManager),
    args: [
      "--v=2",
      "--cloud-provider=aws",
      // Calico routes pod traffic (VXLAN); VPC route tables have no per-node pod routes.
      "--configure-cloud-routes=false",
      // Names the load balancers and security groups it creates and tags them
      // kubernetes.io/cluster/<name>: the teardown step finds them by that tag.
      `--cluster-name=${s.clusterName}`,
    ],
    // Host network: it must run before the CNI exists (it is what makes nodes schedulable).
    hostNetworking: true,
    nodeSelector: CONTROL_PLANE_NODE_SELECTOR,
    tolerations: [CONTROL_PLANE_TOLERATION, UNINITIALIZED_TOLERATION, NOT_READY_TOLERATION],
    resources: requests("100m", "64Mi", "256Mi"),
  };
}

/** EBS CSI driver: the controller (AWS calls) on the control plane, the node plugin everywhere. */
export function ebsCsiDriverValues(s: AddonSettings): Values {
  const v = ADDON_VERSIONS.ebsCsiDriver;
  return {
    image: image(v.images.driver),
    controller: {
      region: s.region,
      // Tags every volume kubernetes.io/cluster/<name>: owned. The controller's IAM policy
      // only lets it touch volumes with that tag, and the teardown step finds leftovers by it.
      k8sTagClusterId: s.clusterName,
      // The name its role trusts (ADDON_SERVICE_ACCOUNTS, infra/aws/identity.ts).
      serviceAccount: { name: ADDON_SERVICE_ACCOUNTS.ebsCsiController.name },
      ...(s.awsRoleArns?.ebsCsiDriver ? ebsCsiControllerWebIdentity(s.awsRoleArns.ebsCsiDriver) : {}),
      // One control-plane node: a second replica would only wait for the leader lease there.
      replicaCount: 1,
      ...controlPlanePlacement,
      resources: requests("10m", "40Mi", "256Mi"),
    },
    node: {
      // The node plugin must run on every node that may mount a volume, tainted or not.
      tolerateAllTaints: true,
      resources: requests("10m", "40Mi", "256Mi"),
    },
    // The default StorageClass is declared by the program (its name is shared with the charts).
    storageClasses: [],
  };
}

/**
 * metrics-server, verifying every kubelet's serving certificate. Kubelets request theirs
 * from the cluster CA (`serverTLSBootstrap`, control-plane-init.sh) and
 * kubelet-serving-approver.sh approves only requests that match the node's EC2 instance.
 * With neither `--kubelet-insecure-tls` nor `--kubelet-certificate-authority`,
 * metrics-server verifies kubelets with its in-cluster CA bundle: the service-account
 * `ca.crt`, which is the cluster CA (kubeadm's `--root-ca-file`), the CA
 * kube-controller-manager signs kubelet serving certificates with.
 */
export function metricsServerValues(): Values {
  const v = ADDON_VERSIONS.metricsServer;
  return {
    image: image(v.images.server),
    resources: requests("100m", "200Mi", "400Mi"),
  };
}

/** cert-manager with its CRDs, Prometheus metrics on. */
export function certManagerValues(): Values {
  const v = ADDON_VERSIONS.certManager;
  return {
    crds: { enabled: true, keep: false },
    image: image(v.images.controller),
    webhook: { image: image(v.images.webhook), resources: requests("10m", "32Mi", "128Mi") },
    cainjector: { image: image(v.images.cainjector), resources: requests("10m", "64Mi", "256Mi") },
    // A Helm post-install hook Job; Pulumi already waits for the webhook Deployment.
    startupapicheck: { enabled: false, image: image(v.images.startupapicheck) },
    prometheus: { enabled: true },
    resources: requests("10m", "64Mi", "256Mi"),
  };
}

/**
 * The F5 NGINX Ingress Controller. Its LoadBalancer Service is declared outside the
 * chart (ingress.ts) so that `pulumi destroy` deletes it, and with it the NLB, before
 * the teardown step and the cloud controller manager go.
 */
export function nginxIngressValues(s: AddonSettings): Values {
  return {
    controller: {
      kind: "deployment",
      replicaCount: 2,
      selectorLabels: INGRESS_SELECTOR_LABELS,
      ingressClass: { name: s.ingressClass, create: true, setAsDefaultIngress: true },
      service: { create: false },
      // Ingress status shows the NLB's name, from the Service declared outside the chart.
      reportIngressStatus: { enable: true, externalService: INGRESS_SERVICE_NAME },
      // Only standard Ingress objects are used; the VirtualServer CRDs are not installed.
      enableCustomResources: false,
      enableSnippets: false,
      podDisruptionBudget: { enabled: true, minAvailable: 1 },
      resources: requests("100m", "128Mi", "512Mi"),
      // The chart reports usage to F5 by default; a cluster should not phone home unasked.
      telemetryReporting: { enable: false },
    },
    prometheus: { create: true, port: INGRESS_METRICS_PORT, scheme: "http" },
  };
}

/**
 * aws-node-termination-handler in queue mode: one Deployment reading the SQS queue that
 * EventBridge fills (ASG termination, spot interruption, rebalance, state change);
 * the IMDS-mode switches do not apply and are left out.
 */
export function nodeTerminationHandlerValues(s: AddonSettings): Values {
  const v = ADDON_VERSIONS.nodeTerminationHandler;
  return {
    image: image(v.images.handler),
    enableSqsTerminationDraining: true,
    // The name its role trusts (ADDON_SERVICE_ACCOUNTS, infra/aws/identity.ts).
    serviceAccount: { name: ADDON_SERVICE_ACCOUNTS.nodeTerminationHandler.name },
    queueURL: s.terminationQueueUrl,
    awsRegion: s.region,
    // Only instances of this cluster's pools carry the tag (infra/nodes/workers.ts).
    checkTagBeforeDraining: true,
    managedTag: NTH_MANAGED_TAG,
    // Events of instances that are not nodes (e.g. a replaced control plane) would loop forever.
    deleteSqsMsgIfNodeNotFound: true,
    taintNode: true,
    ...controlPlanePlacement,
    resources: requests("50m", "64Mi", "128Mi"),
  };
}

/** cluster-autoscaler discovering this cluster's worker groups by tag. */
export function clusterAutoscalerValues(s: AddonSettings): Values {
  return {
    cloudProvider: "aws",
    awsRegion: s.region,
    // The name its role trusts (ADDON_SERVICE_ACCOUNTS, infra/aws/identity.ts).
    rbac: { serviceAccount: { name: ADDON_SERVICE_ACCOUNTS.clusterAutoscaler.name } },
    ...(s.awsRoleArns?.clusterAutoscaler ? clusterAutoscalerWebIdentity(s.awsRoleArns.clusterAutoscaler) : {}),
    autoDiscovery: {
      clusterName: s.clusterName,
      // The tags infra/nodes/workers.ts puts on every pool's group.
      tags: ["k8s.io/cluster-autoscaler/enabled", `k8s.io/cluster-autoscaler/${s.clusterName}`],
    },
    image: image(minorBoundImages(s.kubernetesVersion).clusterAutoscaler),
    // No CA bundle from the host: the image carries its own, and the chart (9.59.0) has no
    // `sslCertPath` value (an earlier pin set one; Helm ignored it).
    extraArgs: {
      "balance-similar-node-groups": true,
      expander: "least-waste",
      "skip-nodes-with-local-storage": false,
      "scale-down-unneeded-time": "10m",
    },
    ...controlPlanePlacement,
    resources: requests("100m", "300Mi", "600Mi"),
  };
}
