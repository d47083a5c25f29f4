/**
 * IAM: the node roles (instance profiles of the control plane and the workers) and
 * one role per workload that calls AWS, assumed through its service account.
 *
 * A pod is never its node (design.md): IMDS hop limit 1 keeps pod network namespaces
 * away from the instance role, so the node roles hold only what runs on the host
 * itself (README "Who holds which AWS permissions"):
 *   control plane: node bootstrap (PKI secret), the join-token timer (join secret),
 *                  the etcd snapshot timer (backup bucket), the AWS cloud controller
 *                  manager (a host-network pod on the control plane, which must run
 *                  before any pod network exists), Session Manager;
 *   workers:       node bootstrap (join secret), the kubelet's ECR credential provider
 *                  (AmazonEC2ContainerRegistryReadOnly), Session Manager.
 * Session Manager uses policies/session-manager.ts instead of
 * AmazonSSMManagedInstanceCore, whose `ssm:GetParameter*` on `*` would read every
 * parameter of the account. Not attached, although the seed names them:
 * AmazonEKSClusterPolicy (written for the EKS service principal, broad EC2/ELB writes
 * on `*`), AmazonEKSWorkerNodePolicy (`eks:*` reads, `ec2:Describe*` a kubeadm worker
 * never calls), AmazonEBSCSIDriverPolicy (any CSI volume of the account; the EBS CSI
 * controller's role gets cluster-tag-scoped statements instead, policies/ebs-csi.ts).
 *
 * Workload roles trust the cluster's service-account issuer (oidc.ts) for exactly one
 * namespace/service account (policies/trust.ts). `addServiceAccountRole` declares one;
 * the pod side (projected token with the `sts.amazonaws.com` audience, AWS_ROLE_ARN)
 * comes from lib/aws-web-identity.ts.
 *
 * Extending a node role: call `addWorkerPolicy`/`addControlPlanePolicy` with a document
 * from a pure function in `infra/policies/`, before declaring the instances, and add
 * `workerPolicies`/`controlPlanePolicies` to their `dependsOn`. Only host processes
 * belong there; anything that runs in a pod gets a service-account role. Add a golden
 * file for the document.
 */
import * as aws from "@pulumi/aws";
import * as pulumi from "@pulumi/pulumi";
import { cloudControllerManagerPolicy } from "../policies/cloud-controller";
import { AccountContext, PolicyDocument } from "../policies/document";
import { ebsCsiDriverPolicy } from "../policies/ebs-csi";
import { etcdBackupPolicy } from "../policies/etcd-backup";
import { controlPlaneSecretsPolicy, SecretsPolicyInputs, workerSecretsPolicy } from "../policies/node-secrets";
import { sessionManagerPolicy } from "../policies/session-manager";
import { stateManagerPolicy } from "../policies/state-manager";
import { ec2AssumeRolePolicy, ServiceAccountRef, serviceAccountTrustPolicy } from "../policies/trust";
import { resourceTags } from "./tags";

/**
 * AWS managed policies, by node role. Only the workers pull from ECR (the credential
 * provider is installed on workers only); the read-only policy cannot push or delete.
 */
export const MANAGED_POLICIES: Readonly<Record<"controlPlane" | "worker", readonly string[]>> = {
  controlPlane: [],
  worker: ["AmazonEC2ContainerRegistryReadOnly"],
};

/** Service accounts of the add-ons that call AWS; the Helm values (infra/cluster/addons/values.ts) name the same. */
export const ADDON_SERVICE_ACCOUNTS = {
  ebsCsiController: { namespace: "kube-system", name: "ebs-csi-controller-sa" },
  nodeTerminationHandler: { namespace: "kube-system", name: "aws-node-termination-handler" },
  clusterAutoscaler: { namespace: "kube-system", name: "cluster-autoscaler" },
} as const satisfies Record<string, ServiceAccountRef>;

/** The cluster's service-account issuer as IAM knows it ({@link import("./oidc").ServiceAccountIssuer}). */
export interface IssuerRef {
  readonly issuerUrl: pulumi.Input<string>;
  readonly providerArn: pulumi.Input<string>;
  /** Resources the roles wait for (the published documents). @default [] */
  readonly dependsOn?: pulumi.Resource[];
}

/** A role one service account assumes. */
export interface ServiceAccountRole {
  readonly serviceAccount: ServiceAccountRef;
  readonly role: aws.iam.Role;
  readonly roleArn: pulumi.Output<string>;
  readonly roleName: pulumi.Output<string>;
}

export interface IdentityArgs {
  readonly clusterName: string;
  readonly region: string;
  readonly vpcId: pulumi.Input<string>;
  /** The cluster key ({@link import("./secrets").ClusterSecrets.kmsKeyArn}). */
  readonly kmsKeyArn: pulumi.Input<string>;
  readonly pkiSecretArn: pulumi.Input<string>;
  readonly joinSecretArn: pulumi.Input<string>;
  readonly etcdBackupBucketArn: pulumi.Input<string>;
  /** Key prefix of etcd snapshots in the bucket. */
  readonly etcdBackupPrefix: string;
  /** The service-account issuer the workload roles trust. */
  readonly issuer: IssuerRef;
  /** Extra tags for every resource. @default {} */
  readonly tags?: Readonly<Record<string, string>>;
}

/** Everything the inline documents are rendered from, once all inputs are known. Pure. */
export interface IdentityPolicyInputs extends AccountContext, SecretsPolicyInputs {
  readonly vpcId: string;
  readonly etcdBackupBucketArn: string;
  readonly etcdBackupPrefix: string;
}

/** The inline policies of each node role, by policy name. Pure: the golden-file tests render these. */
export function identityPolicies(i: IdentityPolicyInputs): {
  controlPlane: Record<string, PolicyDocument>;
  worker: Record<string, PolicyDocument>;
} {
  return {
    controlPlane: {
      "cloud-controller-manager": cloudControllerManagerPolicy(i),
      "cluster-secrets": controlPlaneSecretsPolicy(i),
      "etcd-backup": etcdBackupPolicy({
        region: i.region,
        dnsSuffix: i.dnsSuffix,
        bucketArn: i.etcdBackupBucketArn,
        prefix: i.etcdBackupPrefix,
        kmsKeyArn: i.kmsKeyArn,
      }),
      "session-manager": sessionManagerPolicy(i),
      // The SSM agent runs the Kubernetes upgrade association (infra/nodes/upgrade.ts).
      "state-manager": stateManagerPolicy(i),
    },
    worker: {
      "cluster-secrets": workerSecretsPolicy(i),
      "session-manager": sessionManagerPolicy(i),
    },
  };
}

/** The inline policies of the add-on roles this component declares, by role id. Pure. */
export function addonRolePolicies(i: IdentityPolicyInputs): { ebsCsiController: Record<string, PolicyDocument> } {
  return { ebsCsiController: { "ebs-csi-driver": ebsCsiDriverPolicy(i) } };
}

type Role = "controlPlane" | "worker";

export class Identity extends pulumi.ComponentResource {
  readonly controlPlaneRoleName: pulumi.Output<string>;
  readonly controlPlaneRoleArn: pulumi.Output<string>;
  readonly controlPlaneInstanceProfileName: pulumi.Output<string>;
  readonly controlPlaneInstanceProfileArn: pulumi.Output<string>;
  readonly workerRoleName: pulumi.Output<string>;
  readonly workerRoleArn: pulumi.Output<string>;
  readonly workerInstanceProfileName: pulumi.Output<string>;
  readonly workerInstanceProfileArn: pulumi.Output<string>;
  /** Every policy resource of the control-plane role; control-plane instances depend on these. */
  readonly controlPlanePolicies: pulumi.Resource[] = [];
  /** Every policy resource of the worker role; worker launch templates/ASGs depend on these. */
  readonly workerPolicies: pulumi.Resource[] = [];
  /** The EBS CSI controller's role (kube-system/ebs-csi-controller-sa). */
  readonly ebsCsiController: ServiceAccountRole;

  private readonly roles: Record<Role, aws.iam.Role>;
  private readonly resourceName: string;
  private readonly args: IdentityArgs;

  constructor(name: string, args: IdentityArgs, opts?: pulumi.ComponentResourceOptions) {
    super("platform:infra:Identity", name, {}, opts);
    this.resourceName = name;
    this.args = args;
    const parent = { parent: this };
    const partition = aws.getPartitionOutput({}, parent);
    const caller = aws.getCallerIdentityOutput({}, parent);
    const tags = (resource: string) => resourceTags(args.clusterName, args.tags ?? {}, `${args.clusterName}-${resource}`);

    const assumeRolePolicy = partition.dnsSuffix.apply((s) => JSON.stringify(ec2AssumeRolePolicy(s)));
    const makeRole = (suffix: string, description: string) =>
      new aws.iam.Role(`${name}-${suffix}`, { assumeRolePolicy, description, tags: tags(suffix) }, parent);
    this.roles = {
      controlPlane: makeRole("control-plane", `Kubernetes control plane of ${args.clusterName}`),
      worker: makeRole("worker", `Kubernetes worker nodes of ${args.clusterName}`),
    };

    for (const role of ["controlPlane", "worker"] as const) {
      for (const managed of MANAGED_POLICIES[role]) {
        this.policies(role).push(
          new aws.iam.RolePolicyAttachment(
            `${name}-${kebab(role)}-${managed}`,
            { role: this.roles[role].name, policyArn: pulumi.interpolate`arn:${partition.partition}:iam::aws:policy/${managed}` },
            parent,
          ),
        );
      }
    }

    const inputs = pulumi
      .all([partition.partition, partition.dnsSuffix, caller.accountId, args.vpcId, args.kmsKeyArn, args.pkiSecretArn, args.joinSecretArn, args.etcdBackupBucketArn])
      .apply(
        ([part, dnsSuffix, accountId, vpcId, kmsKeyArn, pkiSecretArn, joinSecretArn, etcdBackupBucketArn]): IdentityPolicyInputs => ({
          partition: part,
          dnsSuffix,
          accountId,
          region: args.region,
          clusterName: args.clusterName,
          vpcId,
          kmsKeyArn,
          pkiSecretArn,
          joinSecretArn,
          etcdBackupBucketArn,
          etcdBackupPrefix: args.etcdBackupPrefix,
        }),
      );
    const documents = inputs.apply(identityPolicies);
    // Policy names are known before the documents are, so the resources can be declared now.
    const names = identityPolicies(PLACEHOLDER_INPUTS);
    for (const policyName of Object.keys(names.controlPlane)) {
      this.addControlPlanePolicy(policyName, documents.apply((d) => d.controlPlane[policyName]));
    }
    for (const policyName of Object.keys(names.worker)) {
      this.addWorkerPolicy(policyName, documents.apply((d) => d.worker[policyName]));
    }

    this.ebsCsiController = this.addServiceAccountRole("ebs-csi-controller", ADDON_SERVICE_ACCOUNTS.ebsCsiController, {
      "ebs-csi-driver": inputs.apply((i) => addonRolePolicies(i).ebsCsiController["ebs-csi-driver"]),
    });

    const profile = (role: Role) =>
      new aws.iam.InstanceProfile(`${name}-${kebab(role)}`, { role: this.roles[role].name, tags: tags(kebab(role)) }, parent);
    const cpProfile = profile("controlPlane");
    const workerProfile = profile("worker");

    this.controlPlaneRoleName = this.roles.controlPlane.name;
    this.controlPlaneRoleArn = this.roles.controlPlane.arn;
    this.controlPlaneInstanceProfileName = cpProfile.name;
    this.controlPlaneInstanceProfileArn = cpProfile.arn;
    this.workerRoleName = this.roles.worker.name;
    this.workerRoleArn = this.roles.worker.arn;
    this.workerInstanceProfileName = workerProfile.name;
    this.workerInstanceProfileArn = workerProfile.arn;
    this.registerOutputs({
      controlPlaneRoleArn: this.controlPlaneRoleArn,
      workerRoleArn: this.workerRoleArn,
      controlPlaneInstanceProfileName: this.controlPlaneInstanceProfileName,
      workerInstanceProfileName: this.workerInstanceProfileName,
    });
  }

  /**
   * A role that only `serviceAccount` may assume, with a token of the cluster's issuer
   * for the `sts.amazonaws.com` audience, holding `policies` (inline, by policy name)
   * and `managedPolicyArns`. `id` names the role (`<cluster>-sa-<id>`) and is unique.
   */
  addServiceAccountRole(
    id: string,
    serviceAccount: ServiceAccountRef,
    policies: Readonly<Record<string, pulumi.Input<PolicyDocument>>>,
    managedPolicyArns: readonly pulumi.Input<string>[] = [],
  ): ServiceAccountRole {
    const { issuer, clusterName } = this.args;
    const opts = { parent: this, dependsOn: issuer.dependsOn ?? [] };
    const trust = pulumi
      .all([issuer.providerArn, issuer.issuerUrl])
      .apply(([providerArn, issuerUrl]) => JSON.stringify(serviceAccountTrustPolicy({ providerArn, issuerUrl, serviceAccount })));
    const role = new aws.iam.Role(
      `${this.resourceName}-sa-${id}`,
      {
        assumeRolePolicy: trust,
        description: `${serviceAccount.namespace}/${serviceAccount.name} of ${clusterName} (service-account token)`,
        tags: resourceTags(clusterName, this.args.tags ?? {}, `${clusterName}-sa-${id}`),
      },
      opts,
    );
    for (const [policyName, document] of Object.entries(policies)) {
      new aws.iam.RolePolicy(
        `${this.resourceName}-sa-${id}-${policyName}`,
        { role: role.name, name: policyName, policy: pulumi.output(document).apply((d) => JSON.stringify(d)) },
        { parent: this },
      );
    }
    managedPolicyArns.forEach((policyArn, i) => {
      new aws.iam.RolePolicyAttachment(`${this.resourceName}-sa-${id}-managed-${i}`, { role: role.name, policyArn }, { parent: this });
    });
    return { serviceAccount, role, roleArn: role.arn, roleName: role.name };
  }

  /** Adds an inline policy `policyName` (unique per role) to the control-plane role. */
  addControlPlanePolicy(policyName: string, document: pulumi.Input<PolicyDocument>): aws.iam.RolePolicy {
    return this.addPolicy("controlPlane", policyName, document);
  }

  /** Adds an inline policy `policyName` (unique per role) to the worker role. */
  addWorkerPolicy(policyName: string, document: pulumi.Input<PolicyDocument>): aws.iam.RolePolicy {
    return this.addPolicy("worker", policyName, document);
  }

  private addPolicy(role: Role, policyName: string, document: pulumi.Input<PolicyDocument>): aws.iam.RolePolicy {
    const resource = new aws.iam.RolePolicy(
      `${this.resourceName}-${kebab(role)}-${policyName}`,
      { role: this.roles[role].name, name: policyName, policy: pulumi.output(document).apply((d) => JSON.stringify(d)) },
      { parent: this },
    );
    this.policies(role).push(resource);
    return resource;
  }

  private policies(role: Role): pulumi.Resource[] {
    return role === "controlPlane" ? this.controlPlanePolicies : this.workerPolicies;
  }
}

function kebab(role: Role): string {
  return role === "controlPlane" ? "control-plane" : "worker";
}

/** Example inputs; used for policy names (documents are rendered again with the real values) and by the golden files. */
export const PLACEHOLDER_INPUTS: IdentityPolicyInputs = {
  partition: "aws",
  dnsSuffix: "amazonaws.com",
  region: "us-east-1",
  accountId: "123456789012",
  clusterName: "demo",
  vpcId: "vpc-0123456789abcdef0",
  kmsKeyArn: "arn:aws:kms:us-east-1:123456789012:key/11111111-2222-3333-4444-555555555555",
  pkiSecretArn: "arn:aws:secretsmanager:us-east-1:123456789012:secret:demo/pki-AbCdEf",
  joinSecretArn: "arn:aws:secretsmanager:us-east-1:123456789012:secret:demo/join-GhIjKl",
  etcdBackupBucketArn: "arn:aws:s3:::demo-etcd-20260101000000000000000001",
  etcdBackupPrefix: "snapshots/",
};
