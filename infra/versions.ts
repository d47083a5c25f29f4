/**
 * The Kubernetes release this platform pins. Everything that must match it
 * (kubeadm/kubelet packages, the kubeadm config API, the cloud controller
 * manager's minor, the tools the test suite builds) reads it from here.
 */
export const KUBERNETES_VERSION = "1.35.4";

/** Minors that upstream supports on the date of the pin (1.33 reached end of life in 2026-06). */
export const SUPPORTED_KUBERNETES_MINORS = ["1.34", "1.35", "1.36"] as const;

/** kubeadm configuration API used for init and join (current since Kubernetes 1.31). */
export const KUBEADM_API_VERSION = "kubeadm.k8s.io/v1beta4";

/**
 * Debian revision of the pkgs.k8s.io packages: kubeadm, kubelet and kubectl are
 * installed as `<KUBERNETES_VERSION>-<revision>` (every stable release so far is `-1.1`).
 */
export const KUBERNETES_PACKAGE_REVISION = "1.1";

/**
 * The kubelet's ECR image credential provider (`ecr-credential-provider` from
 * kubernetes/cloud-provider-aws, downloaded from artifacts.k8s.io). The plugin speaks
 * the stable `credentialprovider.kubelet.k8s.io/v1` API, so it need not match the
 * Kubernetes minor; this is the release whose binaries artifacts.k8s.io publishes
 * (many later tags exist only as GitHub tags, cloud-provider-aws#1324).
 */
export const ECR_CREDENTIAL_PROVIDER_VERSION = "1.31.0";
