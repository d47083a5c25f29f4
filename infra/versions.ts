/**
 * The Kubernetes release this platform pins. Everything that must match it
 * (kubeadm/kubelet packages, the kubeadm config API, the cloud controller
 * manager's minor, the tools the test suite builds) reads it from here.
 *
 * Each pin carries `// evidence: <URL>` (where upstream shows it published, checked by
 * test/unit/infra/versions-evidence.test.ts) and, where a bot may move it, a
 * `// renovate:` comment that renovate.json's custom manager reads. Verified 2026-11-30.
 */

// renovate: datasource=github-releases depName=kubernetes/kubernetes extractVersion=^v(?<version>.+)$
// evidence: https://github.com/kubernetes/kubernetes/releases/tag/v1.35.4 (Go module proxy: k8s.io/kubernetes v1.35.4, 2026-04-15; 1.35 supported until 2027-02-28, https://kubernetes.io/releases/1.35)
export const KUBERNETES_VERSION = "1.35.4";

/**
 * Minors that upstream supports on the date of the pin: 1.34 reached end of life on
 * 2026-10-27 (https://kubernetes.io/releases/1.34), 1.37 was released 2026-08-26.
 */
// evidence: https://kubernetes.io/releases/ (supported: 1.37 until 2027-10-28, 1.36 until 2027-06-28, 1.35 until 2027-02-28)
export const SUPPORTED_KUBERNETES_MINORS = ["1.35", "1.36", "1.37"] as const;

/** kubeadm configuration API used for init and join (current since Kubernetes 1.31). */
// evidence: https://kubernetes.io/docs/reference/config-api/kubeadm-config.v1beta4/ (the current kubeadm config API of 1.35)
export const KUBEADM_API_VERSION = "kubeadm.k8s.io/v1beta4";

/**
 * Debian revision of the pkgs.k8s.io packages: kubeadm, kubelet and kubectl are
 * installed as `<KUBERNETES_VERSION>-<revision>` (every stable release so far is `-1.1`).
 */
// evidence: https://pkgs.k8s.io/core:/stable:/v1.35/deb/Packages (kubeadm 1.35.4-1.1)
export const KUBERNETES_PACKAGE_REVISION = "1.1";

/**
 * The kubelet's ECR image credential provider (`ecr-credential-provider` from
 * kubernetes/cloud-provider-aws, downloaded from artifacts.k8s.io). The plugin speaks
 * the stable `credentialprovider.kubelet.k8s.io/v1` API, so it need not match the
 * Kubernetes minor; this is the release whose binaries artifacts.k8s.io publishes
 * (many later tags exist only as GitHub tags, cloud-provider-aws#1324), which is why
 * no bot moves it: a newer GitHub tag is no evidence that the binary exists.
 */
// evidence: https://artifacts.k8s.io/binaries/cloud-provider-aws/v1.31.0/linux/amd64/ecr-credential-provider-linux-amd64 (Go module proxy: k8s.io/cloud-provider-aws v1.31.0, 2024-08-16)
export const ECR_CREDENTIAL_PROVIDER_VERSION = "1.31.0";

/**
 * SHA-256 of the two ecr-credential-provider binaries of {@link ECR_CREDENTIAL_PROVIDER_VERSION},
 * as Kubernetes' file promoter published them. A node compares its download with this value
 * from the repository (infra/nodes/bootstrap/ecr-credential-provider.sh), so a binary changed
 * on the download host is refused even when a checksum file beside it was changed too. When
 * the version moves, record the values of the new version's promotion manifest (the evidence
 * URL with the new version) and check them against `<binary URL>.sha256` once.
 */
// evidence: https://github.com/kubernetes/k8s.io/blob/main/artifacts/manifests/k8s-staging-provider-aws/v1.31.0.yaml (file promotion manifest of v1.31.0: linux/amd64 and linux/arm64 ecr-credential-provider with these sha256)
export const ECR_CREDENTIAL_PROVIDER_SHA256: Readonly<Record<"amd64" | "arm64", string>> = {
  amd64: "93cb405e50ac98fe1bd18757a1900794c14111705bd996f19728791aca9b5590",
  arm64: "fa0061361d21cbad70a4cd6576f69366ae863a004ec6f59cba7ddbc71ba7106e",
};

/**
 * The container runtime every node installs: containerd 2.x, because Kubernetes 1.35 is
 * the last release that supports containerd 1.x ("switch to containerd 2.0 or later
 * before upgrading to the next Kubernetes version",
 * https://docs.aws.amazon.com/eks/latest/userguide/kubernetes-versions-standard.html),
 * and one runtime for every minor keeps a rolling upgrade from changing two things at once. From Ubuntu's own archive
 * (noble-updates and noble-security, source `containerd-app`), not Docker's
 * `containerd.io`: Canonical's security maintenance, no third-party repository or
 * signing key in the boot path (one network step less, and the control plane's
 * user-data stays under EC2's 16 KiB), and Docker's repository has advertised a
 * containerd.io 2.x whose .deb was missing (docker/for-linux#1557). The cost: the
 * archive lists only the newest build of each pocket, so when Canonical supersedes this
 * one a new node cannot install it and fails its boot (bounded, then replaced);
 * Renovate's deb datasource proposes the new build first. Installed exactly and held
 * by infra/nodes/bootstrap/node-prepare.sh.
 */
// renovate: datasource=deb depName=containerd registryUrl=https://archive.ubuntu.com/ubuntu?suite=noble-updates&components=main&binaryArch=amd64 versioning=deb
// evidence: https://packages.ubuntu.com/noble-updates/containerd (containerd 2.2.1-0ubuntu1~24.04.3 in noble-updates and noble-security; noble itself ships 1.7.12-0ubuntu4)
export const CONTAINERD_PACKAGE_VERSION = "2.2.1-0ubuntu1~24.04.3";
