/**
 * IAM roles and instance profiles of the control plane and the workers.
 *
 * Managed policies attached to both roles:
 *   - AmazonSSMManagedInstanceCore: Session Manager is the way onto nodes (SSH is closed);
 *   - AmazonEC2ContainerRegistryReadOnly: the kubelet's ECR credential provider pulls
 *     images (the seed's ECR *FullAccess* would let any pod push and delete images).
 * Not attached, although the seed names them:
 *   - AmazonEKSClusterPolicy is written for the EKS service principal and grants broad
 *     EC2/ELB writes on `*`; the cloud controller manager's own, cluster-scoped
 *     statements replace it (policies/cloud-controller.ts).
 *   - AmazonEKSWorkerNodePolicy grants `eks:*` reads (there is no EKS cluster) and
 *     `ec2:Describe*`, which a kubeadm worker with an external cloud provider never calls.
 *   - AmazonEBSCSIDriverPolicy lets its holder delete any CSI volume in the account; it is
 *     replaced by cluster-tag-scoped statements on the control plane only
 *     (policies/ebs-csi.ts), because any pod on a worker can use the worker role (IMDS
 *     hop limit 2).
 *
 * Extending (worker pools, add-ons): call `addWorkerPolicy`/`addControlPlanePolicy`
 * with a document from a pure function in `infra/policies/`, before declaring the
 * instances, and add `workerPolicies`/`controlPlanePolicies` to their `dependsOn` so
 * nodes boot with their permissions in place. Add a golden file for the document.
 */
import * as aws from "@pulumi/aws";
import * as pulumi from "@pulumi/pulumi";
import { cloudControllerManagerPolicy } from "../policies/cloud-controller";
import { AccountContext, PolicyDocument } from "../policies/document";
import { ebsCsiDriverPolicy } from "../policies/ebs-csi";
import { etcdBackupPolicy } from "../policies/etcd-backup";
import { controlPlaneSecretsPolicy, SecretsPolicyInputs, workerSecretsPolicy } from "../policies/node-secrets";
import { ec2AssumeRolePolicy } from "../policies/trust";
import { resourceTags } from "./tags";

export const MANAGED_POLICIES = ["AmazonSSMManagedInstanceCore", "AmazonEC2ContainerRegistryReadOnly"] as const;

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
  /** Extra tags for every resource. @default {} */
  readonly tags?: Readonly<Record<string, string>>;
}

/** Everything the inline documents are rendered from, once all inputs are known. Pure. */
export interface IdentityPolicyInputs extends AccountContext, SecretsPolicyInputs {
  readonly vpcId: string;
  readonly etcdBackupBucketArn: string;
  readonly etcdBackupPrefix: string;
}

/** The inline policies of each role, by policy name. Pure: the golden-file tests render these. */
export function identityPolicies(i: IdentityPolicyInputs): {
  controlPlane: Record<string, PolicyDocument>;
  worker: Record<string, PolicyDocument>;
} {
  return {
    controlPlane: {
      "cloud-controller-manager": cloudControllerManagerPolicy(i),
      "ebs-csi-driver": ebsCsiDriverPolicy(i),
      "cluster-secrets": controlPlaneSecretsPolicy(i),
      "etcd-backup": etcdBackupPolicy({
        region: i.region,
        dnsSuffix: i.dnsSuffix,
        bucketArn: i.etcdBackupBucketArn,
        prefix: i.etcdBackupPrefix,
        kmsKeyArn: i.kmsKeyArn,
      }),
    },
    worker: {
      "cluster-secrets": workerSecretsPolicy(i),
    },
  };
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

  private readonly roles: Record<Role, aws.iam.Role>;
  private readonly resourceName: string;

  constructor(name: string, args: IdentityArgs, opts?: pulumi.ComponentResourceOptions) {
    super("platform:infra:Identity", name, {}, opts);
    this.resourceName = name;
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
      for (const managed of MANAGED_POLICIES) {
        this.policies(role).push(
          new aws.iam.RolePolicyAttachment(
            `${name}-${kebab(role)}-${managed}`,
            { role: this.roles[role].name, policyArn: pulumi.interpolate`arn:${partition.partition}:iam::aws:policy/${managed}` },
            parent,
          ),
        );
      }
    }

    const documents = pulumi
      .all([partition.partition, partition.dnsSuffix, caller.accountId, args.vpcId, args.kmsKeyArn, args.pkiSecretArn, args.joinSecretArn, args.etcdBackupBucketArn])
      .apply(([part, dnsSuffix, accountId, vpcId, kmsKeyArn, pkiSecretArn, joinSecretArn, etcdBackupBucketArn]) =>
        identityPolicies({
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
    // Policy names are known before the documents are, so the resources can be declared now.
    const names = identityPolicies(PLACEHOLDER_INPUTS);
    for (const policyName of Object.keys(names.controlPlane)) {
      this.addControlPlanePolicy(policyName, documents.apply((d) => d.controlPlane[policyName]));
    }
    for (const policyName of Object.keys(names.worker)) {
      this.addWorkerPolicy(policyName, documents.apply((d) => d.worker[policyName]));
    }

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
