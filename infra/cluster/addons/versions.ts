/**
 * Every cluster add-on's upstream Helm chart and images, pinned in this one place.
 * Upgrading an add-on is a one-line change here, reviewed in the pull request's
 * `pulumi preview --diff` (each chart object is its own Pulumi resource).
 *
 * Every pin carries two comments, checked by test/unit/infra/versions-evidence.test.ts:
 * `// evidence: <URL>`, where upstream shows that exact version published (a release,
 * a tag whose Chart.yaml has that version, a registry listing), verified on the date in
 * the note; and, for pins a bot can move, `// renovate: datasource=... depName=...`,
 * which renovate.json's custom manager reads. Image pins (`repository`, `tag`, optional
 * `digest` on one line) are read by a second manager that also pins the digest.
 *
 * Pins verified on 2026-11-30. Every image listed under `images` is set explicitly in
 * the add-on's values (so a chart bump never changes it silently); controllers that
 * must match the Kubernetes minor (cloud controller manager, cluster-autoscaler) take
 * their image from {@link MINOR_BOUND_IMAGES}, by the cluster's minor. An add-on with no
 * `images` runs the tags its pinned chart version pins, for the reason given there.
 */
import { KUBERNETES_VERSION, SUPPORTED_KUBERNETES_MINORS } from "../../versions";

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
  /**
   * Content digest (`sha256:<64 hex>`) of the tag's image index, which Renovate adds
   * when it bumps the tag; the values then name `tag@digest`, so a re-pushed tag is
   * never pulled. @default none (the tag alone)
   */
  readonly digest?: string;
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

const CCM_REPOSITORY = "registry.k8s.io/provider-aws/cloud-controller-manager";
const CLUSTER_AUTOSCALER_REPOSITORY = "registry.k8s.io/autoscaling/cluster-autoscaler";

/**
 * The images that must move with the cluster's minor, one row per minor: both projects
 * release one line per Kubernetes minor and support only that one. The patch is chosen
 * per row, not derived (`v${minor}.0` is not always published: cloud-provider-aws'
 * v1.36.0 image build failed and was never promoted). The charts stay at the pins
 * below for every row: they only name the app version as the default image, which the
 * values replace. A minor with no row (1.37: no published image verified yet) is
 * refused by {@link minorBoundImages} before anything is declared. The repositories are
 * constants, not literals, on purpose: Renovate's image manager would otherwise move a
 * row's tag to the newest release of any minor; a patch bump is a hand edit with its note.
 */
export const MINOR_BOUND_IMAGES: Readonly<Record<string, { readonly cloudControllerManager: PinnedImage; readonly clusterAutoscaler: PinnedImage }>> = {
  "1.35": {
    // evidence: https://github.com/kubernetes/cloud-provider-aws/releases/tag/v1.35.0 (2025-12-22; registry.k8s.io/images/k8s-staging-provider-aws/images.yaml promotes v1.35.0; the appVersion of chart 0.0.11)
    cloudControllerManager: { repository: CCM_REPOSITORY, tag: "v1.35.0" },
    // evidence: https://github.com/kubernetes/autoscaler/releases/tag/cluster-autoscaler-1.35.0 (2026-02-06; chart 9.59.0's appVersion)
    clusterAutoscaler: { repository: CLUSTER_AUTOSCALER_REPOSITORY, tag: "v1.35.0" },
  },
  "1.36": {
    // evidence: https://github.com/kubernetes/k8s.io/pull/9796 (merged 2026-07-30: promotes cloud-controller-manager v1.36.1, tag 2026-07-15; v1.36.0's image was never staged, kubernetes/cloud-provider-aws#1450)
    cloudControllerManager: { repository: CCM_REPOSITORY, tag: "v1.36.1" },
    // evidence: https://github.com/kubernetes/autoscaler/releases/tag/cluster-autoscaler-1.36.1 (2026-07-22, the newest 1.36 tag on the date of the pin)
    clusterAutoscaler: { repository: CLUSTER_AUTOSCALER_REPOSITORY, tag: "v1.36.1" },
  },
};

/** The row of {@link MINOR_BOUND_IMAGES} for `kubernetesVersion`, or an error naming the minors that have one. */
export function minorBoundImages(kubernetesVersion: string = KUBERNETES_VERSION) {
  const minor = kubernetesMinor(kubernetesVersion);
  const row = MINOR_BOUND_IMAGES[minor];
  if (!row) {
    const known = Object.keys(MINOR_BOUND_IMAGES).join(", ");
    throw new Error(
      `kubernetesVersion ${kubernetesVersion}: no cloud controller manager / cluster-autoscaler images are pinned for Kubernetes ${minor} ` +
        `(pinned: ${known}; supported minors: ${SUPPORTED_KUBERNETES_MINORS.join(", ")}); add a verified row to MINOR_BOUND_IMAGES in infra/cluster/addons/versions.ts`,
    );
  }
  return row;
}

const defaultImages = minorBoundImages();

export const ADDON_VERSIONS = {
  /** Calico through the Tigera operator: pod networking and NetworkPolicy. */
  calico: {
    repo: "https://docs.tigera.io/calico/charts",
    chart: "tigera-operator",
    // renovate: datasource=helm depName=tigera-operator registryUrl=https://docs.tigera.io/calico/charts
    // evidence: https://github.com/projectcalico/calico/releases/tag/v3.32.3 (2026-10-28, attaches tigera-operator-v3.32.3.tgz; v3.33 and v3.32 are the maintained lines)
    version: "v3.32.3",
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
    // renovate: datasource=helm depName=aws-cloud-controller-manager registryUrl=https://kubernetes.github.io/cloud-provider-aws
    // evidence: https://github.com/kubernetes/cloud-provider-aws/blob/helm-chart-aws-cloud-controller-manager-0.0.11/charts/aws-cloud-controller-manager/Chart.yaml (version 0.0.11, appVersion v1.35.0; still the chart at tag v1.37.1, 2026-11-05; 0.0.12 was never published)
    version: "0.0.11",
    namespace: "kube-system",
    // The default minor's image; the values take the cluster's row of MINOR_BOUND_IMAGES.
    images: { controller: defaultImages.cloudControllerManager },
  },
  /** AWS EBS CSI driver (kubernetes-sigs/aws-ebs-csi-driver); chart 2.N ships driver 1.N. */
  ebsCsiDriver: {
    repo: "https://kubernetes-sigs.github.io/aws-ebs-csi-driver",
    chart: "aws-ebs-csi-driver",
    // renovate: datasource=helm depName=aws-ebs-csi-driver registryUrl=https://kubernetes-sigs.github.io/aws-ebs-csi-driver
    // evidence: https://github.com/kubernetes-sigs/aws-ebs-csi-driver/releases/tag/helm-chart-aws-ebs-csi-driver-2.64.0 (2026-08-18, appVersion 1.64.0)
    version: "2.64.0",
    namespace: "kube-system",
    images: {
      // evidence: https://github.com/kubernetes-sigs/aws-ebs-csi-driver/releases/tag/v1.64.0 (image public.ecr.aws/ebs-csi-driver/aws-ebs-csi-driver:v1.64.0, chart 2.64.0's default)
      driver: { repository: "public.ecr.aws/ebs-csi-driver/aws-ebs-csi-driver", tag: "v1.64.0" },
    },
  },
  /** metrics-server: the resource metrics API the HPAs read. */
  metricsServer: {
    repo: "https://kubernetes-sigs.github.io/metrics-server/",
    chart: "metrics-server",
    // renovate: datasource=helm depName=metrics-server registryUrl=https://kubernetes-sigs.github.io/metrics-server/
    // evidence: https://github.com/kubernetes-sigs/metrics-server/releases/tag/metrics-server-helm-chart-3.13.1 (2026-02-27, appVersion 0.8.1; the newest chart on 2026-08-04)
    version: "3.13.1",
    namespace: "kube-system",
    images: {
      // evidence: https://github.com/kubernetes-sigs/metrics-server/releases/tag/v0.8.1 (chart 3.13.1's appVersion)
      server: { repository: "registry.k8s.io/metrics-server/metrics-server", tag: "v0.8.1" },
    },
  },
  /** cert-manager with its CRDs (Certificates for every app Ingress). */
  certManager: {
    repo: "https://charts.jetstack.io",
    chart: "cert-manager",
    // renovate: datasource=helm depName=cert-manager registryUrl=https://charts.jetstack.io
    // evidence: https://github.com/cert-manager/cert-manager/releases/tag/v1.21.2 (Go module proxy lists v1.21.2 at 2026-09-10; 1.21 and 1.20 are the supported lines)
    version: "v1.21.2",
    namespace: "cert-manager",
    images: {
      // evidence: https://github.com/cert-manager/cert-manager/releases/tag/v1.21.2 (images quay.io/jetstack/cert-manager-*:v1.21.2)
      controller: { repository: "quay.io/jetstack/cert-manager-controller", tag: "v1.21.2" },
      // evidence: https://github.com/cert-manager/cert-manager/releases/tag/v1.21.2
      webhook: { repository: "quay.io/jetstack/cert-manager-webhook", tag: "v1.21.2" },
      // evidence: https://github.com/cert-manager/cert-manager/releases/tag/v1.21.2
      cainjector: { repository: "quay.io/jetstack/cert-manager-cainjector", tag: "v1.21.2" },
      // evidence: https://github.com/cert-manager/cert-manager/releases/tag/v1.21.2
      startupapicheck: { repository: "quay.io/jetstack/cert-manager-startupapicheck", tag: "v1.21.2" },
    },
  },
  /**
   * The F5 NGINX Ingress Controller (nginx/kubernetes-ingress), NOT the community
   * ingress-nginx, which was retired in March 2026 and gets no security fixes.
   */
  nginxIngress: {
    repo: "",
    chart: "oci://ghcr.io/nginx/charts/nginx-ingress",
    // renovate: datasource=docker depName=ghcr.io/nginx/charts/nginx-ingress
    // evidence: https://github.com/nginx/kubernetes-ingress/blob/v5.5.4/charts/nginx-ingress/Chart.yaml (release v5.5.4, 2026-07-16: chart 2.6.4, appVersion 5.5.4)
    version: "2.6.4",
    namespace: "nginx-ingress",
    // Chart-pinned: the chart sets `nginx/nginx-ingress` to its own appVersion.
    images: {},
  },
  /** aws-node-termination-handler in queue mode (drains before ASG termination and spot loss). */
  nodeTerminationHandler: {
    repo: "",
    chart: "oci://public.ecr.aws/aws-ec2/helm/aws-node-termination-handler",
    // renovate: datasource=docker depName=public.ecr.aws/aws-ec2/helm/aws-node-termination-handler
    // evidence: https://github.com/aws/aws-node-termination-handler/releases/tag/v1.25.6 (2026-04-02, config/helm Chart.yaml version 0.27.6; still the newest on 2026-07-21)
    version: "0.27.6",
    namespace: "kube-system",
    images: {
      // evidence: https://github.com/aws/aws-node-termination-handler/releases/tag/v1.25.6 (chart 0.27.6's appVersion)
      handler: { repository: "public.ecr.aws/aws-ec2/aws-node-termination-handler", tag: "v1.25.6" },
    },
  },
  /** cluster-autoscaler (kubernetes/autoscaler); like the CCM, one release line per minor. */
  clusterAutoscaler: {
    repo: "https://kubernetes.github.io/autoscaler",
    chart: "cluster-autoscaler",
    // renovate: datasource=helm depName=cluster-autoscaler registryUrl=https://kubernetes.github.io/autoscaler
    // evidence: https://github.com/kubernetes/autoscaler/releases/tag/cluster-autoscaler-chart-9.59.0 (2026-07-21, appVersion 1.35.0; 9.59.1 was never published)
    version: "9.59.0",
    namespace: "kube-system",
    // The default minor's image; the values take the cluster's row of MINOR_BOUND_IMAGES.
    images: { autoscaler: defaultImages.clusterAutoscaler },
  },
} as const satisfies Record<string, AddonChart>;

export type AddonName = keyof typeof ADDON_VERSIONS;
