/**
 * Kubernetes upgrades of the control plane, driven by `pulumi up`: changing
 * `kubernetesVersion` (checked first by infra/config/kubernetes-version.ts) replaces an
 * SSM association that runs the command document below on the control-plane instance, and
 * Pulumi waits until the run succeeded (`waitForSuccessTimeoutSeconds`); a failed run fails
 * `pulumi up`. The document carries control-plane-upgrade.sh (kubeadm's procedure: upgrade
 * plan and apply, drain, kubelet and kubectl, uncordon, wait for the API server to report
 * the version), so the node needs nothing the user-data did not give it.
 *
 * The worker pools take their version from {@link ControlPlaneUpgrade.kubernetesVersion},
 * an output of the association: their launch templates change, and the groups roll, only
 * after the control plane runs the new version, as kubeadm's skew policy requires (a
 * kubelet must never be newer than the API server).
 */
import * as aws from "@pulumi/aws";
import * as pulumi from "@pulumi/pulumi";
import { readBootstrapFile } from "./user-data";
import { resourceTags } from "../aws/tags";
import { upgradeDocumentName } from "../policies/state-manager";
import { CONTAINERD_PACKAGE_VERSION, KUBERNETES_PACKAGE_REVISION } from "../versions";

/** How long Pulumi waits for the upgrade (or, on a new cluster, for the first boot) to finish. */
export const UPGRADE_TIMEOUT_SECONDS = 3600;
/** Where the document puts the script on the node. */
export const UPGRADE_SCRIPT_PATH = "/opt/platform/bin/control-plane-upgrade.sh";

/** SSM command document (schema 2.2): writes control-plane-upgrade.sh and runs it with the version. Pure apart from reading the script. */
export function upgradeDocumentContent(): Record<string, unknown> {
  const script = readBootstrapFile("control-plane-upgrade.sh");
  if (script.includes("{{") || script.includes("PLATFORM_SCRIPT_EOF")) {
    throw new Error("control-plane-upgrade.sh must not contain '{{' (SSM parameter syntax) or the here-document terminator");
  }
  return {
    schemaVersion: "2.2",
    description: "Upgrade this kubeadm control plane to a Kubernetes version (infra/nodes/upgrade.ts)",
    parameters: {
      KubernetesVersion: { type: "String", allowedPattern: "^[0-9]+\\.[0-9]+\\.[0-9]+$", description: "Target release, x.y.z" },
      PackageVersion: { type: "String", allowedPattern: "^[0-9]+\\.[0-9]+\\.[0-9]+-[0-9.]+$", description: "Its pkgs.k8s.io Debian version" },
      ContainerdVersion: { type: "String", allowedPattern: "^[0-9][0-9A-Za-z.+~:-]*$", description: "The pinned Ubuntu containerd version every node installs" },
    },
    mainSteps: [
      {
        action: "aws:runShellScript",
        name: "upgradeControlPlane",
        inputs: {
          timeoutSeconds: UPGRADE_TIMEOUT_SECONDS,
          runCommand: [
            `install -d -m 0755 ${UPGRADE_SCRIPT_PATH.replace(/\/[^/]+$/, "")}`,
            `cat >${UPGRADE_SCRIPT_PATH} <<'PLATFORM_SCRIPT_EOF'`,
            ...script.replace(/\n$/, "").split("\n"),
            "PLATFORM_SCRIPT_EOF",
            `chmod 0755 ${UPGRADE_SCRIPT_PATH}`,
            `KUBERNETES_VERSION='{{ KubernetesVersion }}' KUBERNETES_PACKAGE_VERSION='{{ PackageVersion }}' CONTAINERD_PACKAGE_VERSION='{{ ContainerdVersion }}' ${UPGRADE_SCRIPT_PATH}`,
          ],
        },
      },
    ],
  };
}

export interface ControlPlaneUpgradeArgs {
  readonly clusterName: string;
  readonly instanceId: pulumi.Input<string>;
  /** The configured `kubernetesVersion`. */
  readonly kubernetesVersion: string;
  /** @default {} */
  readonly tags?: Readonly<Record<string, string>>;
}

export class ControlPlaneUpgrade extends pulumi.ComponentResource {
  /** The version the control plane runs once the association succeeded: what worker pools use. */
  readonly kubernetesVersion: pulumi.Output<string>;

  constructor(name: string, args: ControlPlaneUpgradeArgs, opts?: pulumi.ComponentResourceOptions) {
    super("platform:infra:ControlPlaneUpgrade", name, {}, opts);
    const document = new aws.ssm.Document(
      `${name}-upgrade`,
      {
        // A fixed name: the control-plane role may read this document and no other.
        name: upgradeDocumentName(args.clusterName),
        documentType: "Command",
        documentFormat: "JSON",
        content: JSON.stringify(upgradeDocumentContent()),
        tags: resourceTags(args.clusterName, args.tags ?? {}, `${args.clusterName}-control-plane-upgrade`),
      },
      { parent: this },
    );
    const association = new aws.ssm.Association(
      `${name}-upgrade`,
      {
        name: document.name,
        associationName: `${args.clusterName}-control-plane-${args.kubernetesVersion.replace(/\./g, "-")}`,
        targets: [{ key: "InstanceIds", values: [args.instanceId] }],
        parameters: {
          KubernetesVersion: args.kubernetesVersion,
          PackageVersion: `${args.kubernetesVersion}-${KUBERNETES_PACKAGE_REVISION}`,
          // A new runtime pin re-runs the document too: it moves the runtime of a drained node.
          ContainerdVersion: CONTAINERD_PACKAGE_VERSION,
        },
        // Runs once now (not on a schedule), and `pulumi up` waits for its outcome.
        applyOnlyAtCronInterval: false,
        waitForSuccessTimeoutSeconds: UPGRADE_TIMEOUT_SECONDS,
      },
      // A new version is a new run: replacing the association runs the document again.
      { parent: this, replaceOnChanges: ["parameters", "associationName"], deleteBeforeReplace: true },
    );
    this.kubernetesVersion = association.parameters.apply((p) => p?.KubernetesVersion ?? args.kubernetesVersion);
    this.registerOutputs({ kubernetesVersion: this.kubernetesVersion });
  }
}
