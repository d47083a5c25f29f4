/**
 * The kubeadm control plane: one EC2 instance behind an address that outlives it.
 *
 * Stable endpoint. A standalone network interface with a fixed private address (offset
 * {@link CONTROL_PLANE_IP_OFFSET} of the first public subnet) is created on its own and
 * attached to the instance as device 0; it is not deleted with the instance. An Elastic
 * IP sits on that interface. Replacing the instance therefore keeps both addresses:
 *   - workers, kubeadm's `controlPlaneEndpoint` and the cluster-info ConfigMap use the
 *     private address (traffic stays in the VPC, and security-group rules that reference
 *     the worker group match it; a worker dialling the public address would hairpin
 *     through the internet gateway and arrive from its public IP, which no group matches);
 *   - users and the admin kubeconfig use the Elastic IP.
 * The API server certificate names both, the Elastic IP's DNS name and any extra names.
 * Because etcd's peer URL and the node name derive from the private address too, a
 * replacement instance restored from a snapshot is the same member under the same name.
 *
 * Bootstrap: user-data carries the scripts of infra/nodes/bootstrap and non-secret values
 * only; the PKI is read from Secrets Manager at boot (see control-plane-init.sh).
 */
import * as aws from "@pulumi/aws";
import * as pulumi from "@pulumi/pulumi";
import { addressAt, parseCidr } from "../../lib/cidr";
import type { ClusterConfig } from "../config/cluster";
import { ubuntuAmiQuery } from "./ami";
import { ControlPlaneUpgrade } from "./upgrade";
import { encodeUserData, renderNodeUserData } from "./user-data";
import { API_PORT } from "../aws/security";
import { snapshotsToKeep } from "../aws/backups";
import { resourceTags } from "../aws/tags";
import { KUBEADM_API_VERSION, KUBERNETES_PACKAGE_REVISION } from "../versions";

/** Host offset of the control plane's fixed address in its subnet (AWS reserves .0-.3). */
export const CONTROL_PLANE_IP_OFFSET = 10;

/** The fixed private address of the control plane in `subnetCidr`. Pure. */
export function controlPlanePrivateIp(subnetCidr: string): string {
  const subnet = parseCidr(subnetCidr);
  if (!subnet) throw new Error(`control plane: '${subnetCidr}' is not a CIDR block`);
  // AWS reserves the first four and the last address of every subnet.
  if (2 ** (32 - subnet.prefix) < CONTROL_PLANE_IP_OFFSET + 2) {
    throw new Error(`control plane: subnet ${subnetCidr} is too small for a fixed address at offset ${CONTROL_PLANE_IP_OFFSET}`);
  }
  return addressAt(subnet, CONTROL_PLANE_IP_OFFSET);
}

export interface CertSanProps {
  readonly privateIp: string;
  readonly publicIp?: string;
  readonly publicDns?: string;
  /** @default [] */
  readonly extra?: readonly string[];
}

/** Every address and name the API server certificate must carry, without duplicates. Pure. */
export function apiServerCertSans(p: CertSanProps): string[] {
  const all = [p.privateIp, p.publicIp, p.publicDns, ...(p.extra ?? []), "127.0.0.1", "localhost"];
  return [...new Set(all.filter((s): s is string => typeof s === "string" && s !== ""))];
}

/** The non-secret values control-plane-init.sh, etcd-backup.sh, join-token-rotate.sh and kubelet-serving-approver.sh read. */
export interface ControlPlaneBootstrapValues {
  readonly clusterName: string;
  readonly region: string;
  readonly kubernetesVersion: string;
  readonly endpointIp: string;
  readonly certSans: readonly string[];
  readonly podCidr: string;
  readonly serviceCidr: string;
  readonly pkiSecretArn: string;
  readonly joinSecretArn: string;
  /** `--service-account-issuer` (infra/aws/oidc.ts); the JWKS URL is derived from it. */
  readonly serviceAccountIssuerUrl: string;
  readonly backupBucket: string;
  readonly kmsKeyArn: string;
  readonly backupIntervalMinutes: number;
  /** How many snapshots etcd-backup.sh keeps current ({@link snapshotsToKeep}). */
  readonly backupKeep: number;
  readonly joinTokenTtlHours: number;
  readonly joinTokenRotationHours: number;
  /** The VPC's CIDR block: kubelet serving certificates may name private addresses inside it only. */
  readonly vpcCidr: string;
}

/** The env file's values, in the order the scripts document them. Pure. */
export function controlPlaneBootstrapEnv(v: ControlPlaneBootstrapValues): Record<string, string | number> {
  return {
    CLUSTER_NAME: v.clusterName,
    AWS_REGION: v.region,
    KUBERNETES_VERSION: v.kubernetesVersion,
    KUBERNETES_PACKAGE_VERSION: `${v.kubernetesVersion}-${KUBERNETES_PACKAGE_REVISION}`,
    KUBEADM_API_VERSION,
    CONTROL_PLANE_ENDPOINT_IP: v.endpointIp,
    API_SERVER_PORT: API_PORT,
    API_SERVER_CERT_SANS: v.certSans.join(" "),
    POD_CIDR: v.podCidr,
    SERVICE_CIDR: v.serviceCidr,
    PKI_SECRET_ARN: v.pkiSecretArn,
    JOIN_SECRET_ARN: v.joinSecretArn,
    SERVICE_ACCOUNT_ISSUER_URL: v.serviceAccountIssuerUrl,
    ETCD_BACKUP_BUCKET: v.backupBucket,
    ETCD_BACKUP_KMS_KEY_ARN: v.kmsKeyArn,
    ETCD_BACKUP_INTERVAL_MINUTES: v.backupIntervalMinutes,
    ETCD_BACKUP_KEEP: v.backupKeep,
    JOIN_TOKEN_TTL_HOURS: v.joinTokenTtlHours,
    JOIN_TOKEN_ROTATION_HOURS: v.joinTokenRotationHours,
    VPC_CIDR: v.vpcCidr,
  };
}

/** The control plane's cloud-config (plain text). Pure apart from reading infra/nodes/bootstrap. */
export function renderControlPlaneUserData(v: ControlPlaneBootstrapValues): string {
  return renderNodeUserData({
    env: controlPlaneBootstrapEnv(v),
    steps: ["node-prepare", "control-plane-init"],
    extraScripts: ["etcd-backup", "etcd-restore", "join-token-rotate", "encryption-config", "kubelet-serving-approver"],
    units: ["join-token-rotate.service", "join-token-rotate.timer", "kubelet-serving-approver.service"],
    header: `Control plane of cluster ${v.clusterName}. Rendered by infra/nodes/control-plane.ts; non-secret values only.`,
  });
}

/** `aws ssm start-session` for the instance. Pure. */
export function ssmSessionCommand(instanceId: string, region: string): string {
  return `aws ssm start-session --target ${instanceId} --region ${region}`;
}

export interface ControlPlaneArgs {
  readonly cluster: ClusterConfig;
  /** The public subnet the instance and its fixed interface live in. */
  readonly subnetId: pulumi.Input<string>;
  /** That subnet's CIDR block (from the configuration), which fixes the private address. */
  readonly subnetCidr: string;
  readonly securityGroupIds: pulumi.Input<string>[];
  readonly instanceProfileName: pulumi.Input<string>;
  readonly pkiSecretArn: pulumi.Input<string>;
  readonly joinSecretArn: pulumi.Input<string>;
  readonly kmsKeyArn: pulumi.Input<string>;
  readonly backupBucketName: pulumi.Input<string>;
  /** The published service-account issuer URL (infra/aws/oidc.ts `ServiceAccountIssuer.issuerUrl`). */
  readonly serviceAccountIssuerUrl: pulumi.Input<string>;
  /**
   * Lifetime of each bootstrap token the control plane writes to the join secret (config `joinTokenTtlHours`).
   * @default 24
   */
  readonly joinTokenTtlHours?: number;
  /**
   * How often a fresh token is written (config `joinTokenRotationHours`).
   * @default 6
   */
  readonly joinTokenRotationHours?: number;
  /**
   * Names or addresses for the API server certificate beyond the configured `apiServerCertSans`.
   * @default []
   */
  readonly extraCertSans?: readonly string[];
  /**
   * What the Elastic IP must wait for: AWS refuses to associate one before the VPC's internet gateway is attached.
   * @default []
   */
  readonly dependsOn?: pulumi.Input<pulumi.Resource>[];
}

export class ControlPlane extends pulumi.ComponentResource {
  readonly instanceId: pulumi.Output<string>;
  /** The stable private address (workers, kubeadm's controlPlaneEndpoint). */
  readonly privateIp: string;
  /** The Elastic IP (users, kubeconfig). */
  readonly publicIp: pulumi.Output<string>;
  readonly publicDns: pulumi.Output<string>;
  /** `https://<Elastic IP>:6443`, what the admin kubeconfig points at. */
  readonly apiServerUrl: pulumi.Output<string>;
  /** `<private address>:6443`, what nodes join. */
  readonly internalEndpoint: string;
  /** The rendered cloud-config (non-secret by construction), for review and tests. */
  readonly userData: pulumi.Output<string>;
  readonly ssmCommand: pulumi.Output<string>;
  /**
   * The Kubernetes version the control plane runs: known once the upgrade association
   * (infra/nodes/upgrade.ts) reported success. Worker pools take their version from here.
   */
  readonly kubernetesVersion: pulumi.Output<string>;

  constructor(name: string, args: ControlPlaneArgs, opts?: pulumi.ComponentResourceOptions) {
    super("platform:infra:ControlPlane", name, {}, opts);
    const parent = { parent: this };
    const c = args.cluster;
    const tags = (suffix: string) => resourceTags(c.clusterName, c.tags, `${c.clusterName}-${suffix}`);
    this.privateIp = controlPlanePrivateIp(args.subnetCidr);
    this.internalEndpoint = `${this.privateIp}:${API_PORT}`;

    const nic = new aws.ec2.NetworkInterface(
      `${name}-api`,
      {
        description: `Fixed address of the ${c.clusterName} control plane; outlives the instance`,
        subnetId: args.subnetId,
        privateIps: [this.privateIp],
        securityGroups: args.securityGroupIds,
        // Source/destination check stays on (EC2's default): Calico encapsulates pod
        // traffic in VXLAN everywhere, so every packet leaves with the node's own address,
        // as on the workers, whose interfaces never turned it off.
        tags: tags("control-plane-api"),
      },
      parent,
    );
    const eip = new aws.ec2.Eip(
      `${name}-api`,
      { domain: "vpc", networkInterface: nic.id, associateWithPrivateIp: this.privateIp, tags: tags("control-plane-api") },
      { parent: this, dependsOn: args.dependsOn },
    );

    const ami = c.amiId ?? aws.ec2.getAmiOutput(ubuntuAmiQuery(c.controlPlaneInstanceType), parent).id;
    this.userData = pulumi
      .all([eip.publicIp, eip.publicDns, args.pkiSecretArn, args.joinSecretArn, args.backupBucketName, args.kmsKeyArn, args.serviceAccountIssuerUrl])
      .apply(([publicIp, publicDns, pkiSecretArn, joinSecretArn, backupBucket, kmsKeyArn, serviceAccountIssuerUrl]) =>
        renderControlPlaneUserData({
          clusterName: c.clusterName,
          region: c.region,
          kubernetesVersion: c.kubernetesVersion,
          endpointIp: this.privateIp,
          certSans: apiServerCertSans({
            privateIp: this.privateIp,
            publicIp,
            publicDns,
            extra: [...c.apiServerCertSans, ...(args.extraCertSans ?? [])],
          }),
          podCidr: c.podCidr,
          serviceCidr: c.serviceCidr,
          pkiSecretArn,
          joinSecretArn,
          serviceAccountIssuerUrl,
          backupBucket,
          kmsKeyArn,
          backupIntervalMinutes: c.etcdBackupIntervalMinutes,
          backupKeep: snapshotsToKeep(c.etcdBackupRetentionDays, c.etcdBackupIntervalMinutes),
          joinTokenTtlHours: args.joinTokenTtlHours ?? 24,
          joinTokenRotationHours: args.joinTokenRotationHours ?? 6,
          vpcCidr: c.vpcCidr,
        }),
      );

    const instance = new aws.ec2.Instance(
      name,
      {
        ami,
        instanceType: c.controlPlaneInstanceType,
        iamInstanceProfile: args.instanceProfileName,
        keyName: c.sshKeyName,
        primaryNetworkInterface: { networkInterfaceId: nic.id, deleteOnTermination: false },
        metadataOptions: {
          httpEndpoint: "enabled",
          httpTokens: "required",
          // 1: a pod's network namespace is one hop further, so no pod (FluentD, a
          // compromised add-on) can get the role that reads the cluster CA key. The
          // add-ons that call AWS use their own roles (infra/aws/identity.ts); only the
          // host and host-network pods (the cloud controller manager) reach IMDS.
          httpPutResponseHopLimit: 1,
          instanceMetadataTags: "disabled",
        },
        rootBlockDevice: {
          volumeType: "gp3",
          volumeSize: c.rootVolumeSizeGiB,
          encrypted: true,
          deleteOnTermination: true,
        },
        userDataBase64: this.userData.apply(encodeUserData),
        tags: tags("control-plane"),
        volumeTags: tags("control-plane"),
      },
      {
        parent: this,
        // The fixed interface can be attached to one instance at a time.
        deleteBeforeReplace: true,
        // User-data only acts at first boot, so a change must not stop/start a running
        // control plane; a looked-up AMI changes with every Ubuntu release and must not
        // replace it either. Roll either deliberately: README "Replacing the control plane".
        ignoreChanges: c.amiId ? ["userDataBase64"] : ["ami", "userDataBase64"],
      },
    );

    this.instanceId = instance.id;
    // `kubernetesVersion` changes reach the running instance through kubeadm's upgrade, not its user-data.
    const upgrade = new ControlPlaneUpgrade(name, { clusterName: c.clusterName, instanceId: instance.id, kubernetesVersion: c.kubernetesVersion, tags: c.tags }, parent);
    this.kubernetesVersion = upgrade.kubernetesVersion;
    this.publicIp = eip.publicIp;
    this.publicDns = eip.publicDns;
    this.apiServerUrl = pulumi.interpolate`https://${eip.publicIp}:${API_PORT}`;
    this.ssmCommand = instance.id.apply((id) => ssmSessionCommand(id, c.region));
    this.registerOutputs({
      instanceId: this.instanceId,
      privateIp: this.privateIp,
      publicIp: this.publicIp,
      apiServerUrl: this.apiServerUrl,
      ssmCommand: this.ssmCommand,
    });
  }
}
