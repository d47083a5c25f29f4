/**
 * Secrets Manager and KMS access of the node roles, limited to this cluster's two
 * secrets (exact ARNs) and its key, and to the key's use through Secrets Manager.
 * Pure.
 *
 *   control plane: reads the PKI secret, reads and writes the join secret (its
 *                  token timer publishes fresh bootstrap tokens there);
 *   workers:       read the join secret, nothing else.
 */
import { policy, PolicyDocument, PolicyStatement } from "./document";

export interface SecretsPolicyInputs {
  readonly region: string;
  /** The partition's DNS suffix (`amazonaws.com`), part of the `kms:ViaService` value. */
  readonly dnsSuffix: string;
  readonly kmsKeyArn: string;
  readonly pkiSecretArn: string;
  readonly joinSecretArn: string;
}

function viaService(inputs: SecretsPolicyInputs, ...services: string[]) {
  return { StringEquals: { "kms:ViaService": services.map((s) => `${s}.${inputs.region}.${inputs.dnsSuffix}`) } };
}

const READ_SECRET = ["secretsmanager:DescribeSecret", "secretsmanager:GetSecretValue"];

export function controlPlaneSecretsPolicy(inputs: SecretsPolicyInputs): PolicyDocument {
  return policy(
    { Sid: "ReadClusterSecrets", Effect: "Allow", Action: READ_SECRET, Resource: [inputs.pkiSecretArn, inputs.joinSecretArn] },
    { Sid: "PublishJoinToken", Effect: "Allow", Action: ["secretsmanager:PutSecretValue"], Resource: inputs.joinSecretArn },
    secretsKeyUse(inputs, ["kms:Decrypt", "kms:GenerateDataKey"]),
  );
}

export function workerSecretsPolicy(inputs: SecretsPolicyInputs): PolicyDocument {
  return policy(
    { Sid: "ReadJoinSecret", Effect: "Allow", Action: READ_SECRET, Resource: inputs.joinSecretArn },
    secretsKeyUse(inputs, ["kms:Decrypt"]),
  );
}

function secretsKeyUse(inputs: SecretsPolicyInputs, actions: string[]): PolicyStatement {
  return {
    Sid: "UseClusterKeyThroughSecretsManager",
    Effect: "Allow",
    Action: actions,
    Resource: inputs.kmsKeyArn,
    Condition: viaService(inputs, "secretsmanager"),
  };
}
