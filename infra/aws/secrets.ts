/**
 * This cluster's secrets: a customer-managed KMS key, the PKI secret the control plane
 * reads at boot, and the join secret the control plane's token timer (issue 3) fills
 * with `{token, caCertHash, endpoint, expiresAt}` for workers to poll.
 *
 * Every secret is named `<cluster>/<purpose>`, so IAM can grant a node
 * `secret:<cluster>/*` and nothing of another cluster.
 */
import * as aws from "@pulumi/aws";
import * as pulumi from "@pulumi/pulumi";
import { clusterKeyPolicy } from "../policies/cluster-key";
import { resourceTags } from "./tags";

/** Names of this cluster's secrets; IAM scopes to `<cluster>/*`. */
export function secretNames(clusterName: string): { prefix: string; pki: string; join: string } {
  return { prefix: `${clusterName}/`, pki: `${clusterName}/pki`, join: `${clusterName}/join` };
}

export interface ClusterSecretsArgs {
  readonly clusterName: string;
  readonly region: string;
  /** The PKI secret's JSON ({@link import("./pki").ClusterPki.pkiSecretString}). */
  readonly pkiSecretString: pulumi.Input<string>;
  /**
   * Extra tags for every resource.
   * @default {}
   */
  readonly tags?: Readonly<Record<string, string>>;
}

export class ClusterSecrets extends pulumi.ComponentResource {
  readonly kmsKeyArn: pulumi.Output<string>;
  readonly pkiSecretArn: pulumi.Output<string>;
  readonly pkiSecretName: pulumi.Output<string>;
  readonly joinSecretArn: pulumi.Output<string>;
  readonly joinSecretName: pulumi.Output<string>;
  /** `<cluster>/`: every secret of this cluster starts with it. */
  readonly secretNamePrefix: string;

  constructor(name: string, args: ClusterSecretsArgs, opts?: pulumi.ComponentResourceOptions) {
    super("platform:infra:ClusterSecrets", name, {}, opts);
    const parent = { parent: this };
    const tags = (suffix: string) => resourceTags(args.clusterName, args.tags ?? {}, `${args.clusterName}-${suffix}`);
    const names = secretNames(args.clusterName);

    const identity = aws.getCallerIdentityOutput({}, parent);
    const partition = aws.getPartitionOutput({}, parent);
    const key = new aws.kms.Key(
      `${name}-key`,
      {
        description: `Secrets and etcd snapshots of Kubernetes cluster ${args.clusterName}`,
        enableKeyRotation: true,
        rotationPeriodInDays: 365,
        // The shortest window: a destroyed stack should not leave keys behind for a month.
        deletionWindowInDays: 7,
        policy: pulumi
          .all([identity.accountId, partition.partition, partition.dnsSuffix])
          .apply(([accountId, part, dnsSuffix]) =>
            JSON.stringify(clusterKeyPolicy({ accountId, partition: part, region: args.region, dnsSuffix })),
          ),
        tags: tags("secrets"),
      },
      parent,
    );
    new aws.kms.Alias(`${name}-key`, { name: `alias/${args.clusterName}-cluster`, targetKeyId: key.keyId }, parent);

    // Recovery window 0: the PKI lives in the Pulumi state too, and a re-created stack
    // must be able to take the same names right after `pulumi destroy`.
    const pki = new aws.secretsmanager.Secret(
      `${name}-pki`,
      {
        name: names.pki,
        description: `kubeadm PKI (CAs and service-account key) of cluster ${args.clusterName}; read by the control plane at boot`,
        kmsKeyId: key.arn,
        recoveryWindowInDays: 0,
        tags: tags("pki"),
      },
      parent,
    );
    new aws.secretsmanager.SecretVersion(
      `${name}-pki`,
      { secretId: pki.id, secretString: pulumi.secret(args.pkiSecretString) },
      parent,
    );
    const join = new aws.secretsmanager.Secret(
      `${name}-join`,
      {
        name: names.join,
        description: `Join data {token, caCertHash, endpoint, expiresAt} for nodes of cluster ${args.clusterName}; written by the control plane's token timer`,
        kmsKeyId: key.arn,
        recoveryWindowInDays: 0,
        tags: tags("join"),
      },
      parent,
    );

    this.kmsKeyArn = key.arn;
    this.pkiSecretArn = pki.arn;
    this.pkiSecretName = pki.name;
    this.joinSecretArn = join.arn;
    this.joinSecretName = join.name;
    this.secretNamePrefix = names.prefix;
    this.registerOutputs({
      kmsKeyArn: this.kmsKeyArn,
      pkiSecretArn: this.pkiSecretArn,
      joinSecretArn: this.joinSecretArn,
    });
  }
}
