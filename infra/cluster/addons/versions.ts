/**
 * Every cluster add-on's upstream Helm chart and images, pinned in this one place.
 * Upgrading an add-on is a one-line change here, reviewed in the pull request's
 * `pulumi preview --diff` (each chart object is its own Pulumi resource).
 *
 * Chart versions as published on 2026-11-21. Every image listed under `images` is set
 * explicitly in the add-on's values (so a chart bump never changes it silently);
 * controllers that must match the Kubernetes minor (cloud controller manager,
 * cluster-autoscaler) derive their tag from infra/versions.ts. An add-on with no
 * `images` runs the tags its pinned chart version pins, for the reason given there.
 */
import { KUBERNETES_VERSION } from "../../versions";

/** `1.35` from `1.35.4`. */
export function kubernetesMinor(version: string = KUBERNETES_VERSION): string {
  const m = /^(\d+)\.(\d+)\.\d+$/.exec(version);
  if (!m) throw new Error(`not a Kubernetes release x.y.z: '${version}'`);
  return `${m[1]}.${m[2]}`;
}

export interface PinnedImage {
  /** Repository without tag, e.g. `registry.k8s.io/metrics-server/metrics-server`. */
  readonly repository: string;
  /** Exact tag, never `latest`. */
  readonly tag: string;
}

export interface AddonChart {
  /** Helm repository URL (`https://...`), or empty when `chart` is an `oci://` reference. */
  readonly repo: string;
  /** Chart name in `repo`, or a full `oci://` reference. */
  readonly chart: string;
  /** Exact chart version. */
  readonly version: string;
  /** Namespace the add-on is installed into. */
  readonly namespace: string;
  /** The images the add-on runs, by role. */
  readonly images: Readonly<Record<string, PinnedImage>>;
}

const minor = kubernetesMinor();

export const ADDON_VERSIONS = {
  /** Calico through the Tigera operator: pod networking and NetworkPolicy. */
  calico: {
    repo: "https://docs.tigera.io/calico/charts",
    chart: "tigera-operator",
    version: "v3.32.2",
    namespace: "tigera-operator",
    // Chart-pinned: the operator image and the Calico images it installs are released as
    // one set; overriding one of them separately breaks the operator's version pairing.
    images: {},
  },
  /**
   * AWS cloud controller manager (kubernetes/cloud-provider-aws). Its minor must equal the
   * cluster's: the project releases one line per Kubernetes minor.
   */
  cloudControllerManager: {
    repo: "https://kubernetes.github.io/cloud-provider-aws",
    chart: "aws-cloud-controller-manager",
    version: "0.0.12",
    namespace: "kube-system",
    images: {
      controller: { repository: "registry.k8s.io/provider-aws/cloud-controller-manager", tag: `v${minor}.0` },
    },
  },
  /** AWS EBS CSI driver (kubernetes-sigs/aws-ebs-csi-driver); chart 2.N ships driver 1.N. */
  ebsCsiDriver: {
    repo: "https://kubernetes-sigs.github.io/aws-ebs-csi-driver",
    chart: "aws-ebs-csi-driver",
    version: "2.59.0",
    namespace: "kube-system",
    images: {
      driver: { repository: "public.ecr.aws/ebs-csi-driver/aws-ebs-csi-driver", tag: "v1.59.0" },
    },
  },
  /** metrics-server: the resource metrics API the HPAs read. */
  metricsServer: {
    repo: "https://kubernetes-sigs.github.io/metrics-server/",
    chart: "metrics-server",
    version: "3.13.0",
    namespace: "kube-system",
    images: {
      server: { repository: "registry.k8s.io/metrics-server/metrics-server", tag: "v0.8.0" },
    },
  },
  /** cert-manager with its CRDs (Certificates for every app Ingress). */
  certManager: {
    repo: "https://charts.jetstack.io",
    chart: "cert-manager",
    version: "v1.19.1",
    namespace: "cert-manager",
    images: {
      controller: { repository: "quay.io/jetstack/cert-manager-controller", tag: "v1.19.1" },
      webhook: { repository: "quay.io/jetstack/cert-manager-webhook", tag: "v1.19.1" },
      cainjector: { repository: "quay.io/jetstack/cert-manager-cainjector", tag: "v1.19.1" },
      startupapicheck: { repository: "quay.io/jetstack/cert-manager-startupapicheck", tag: "v1.19.1" },
    },
  },
  /**
   * The F5 NGINX Ingress Controller (nginx/kubernetes-ingress), NOT the community
   * ingress-nginx, which was retired in March 2026 and gets no security fixes.
   */
  nginxIngress: {
    repo: "",
    chart: "oci://ghcr.io/nginx/charts/nginx-ingress",
    version: "2.4.4",
    namespace: "nginx-ingress",
    // Chart-pinned: the chart sets `nginx/nginx-ingress` to its own appVersion.
    images: {},
  },
  /** aws-node-termination-handler in queue mode (drains before ASG termination and spot loss). */
  nodeTerminationHandler: {
    repo: "",
    chart: "oci://public.ecr.aws/aws-ec2/helm/aws-node-termination-handler",
    version: "0.27.3",
    namespace: "kube-system",
    images: {
      handler: { repository: "public.ecr.aws/aws-ec2/aws-node-termination-handler", tag: "v1.25.3" },
    },
  },
  /** cluster-autoscaler (kubernetes/autoscaler); like the CCM, one release line per minor. */
  clusterAutoscaler: {
    repo: "https://kubernetes.github.io/autoscaler",
    chart: "cluster-autoscaler",
    version: "9.59.1",
    namespace: "kube-system",
    images: {
      autoscaler: { repository: "registry.k8s.io/autoscaling/cluster-autoscaler", tag: `v${minor}.0` },
    },
  },
} as const satisfies Record<string, AddonChart>;

export type AddonName = keyof typeof ADDON_VERSIONS;
