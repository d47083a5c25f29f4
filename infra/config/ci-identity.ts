/**
 * The optional `ciIdentity` section: the AWS roles GitHub Actions assumes through
 * GitHub's OpenID Connect provider (infra/aws/ci-identity.ts), so the workflows hold no
 * long-lived AWS keys. Absent: nothing is created. One structured key:
 *
 *   pulumi config set --path ciIdentity.repository my-org/kubeadm-aws-platform
 *   pulumi config set --path ciIdentity.environment dev
 *
 * Pure (no Pulumi).
 */
import type { ClusterConfig } from "./cluster";
import { Validator } from "../../lib/validate";

export const CI_IDENTITY_KEYS = ["ciIdentity"] as const;

export interface CiIdentityConfig {
  /** `owner/name` of the GitHub repository whose workflows may assume the roles. */
  readonly repository: string;
  /** The GitHub deployment environment of the deploy job (`deploy.yml`'s `environment:`); only its runs get the deploy role. */
  readonly environment: string;
  /** Managed policies of the deploy role (`pulumi up` creates VPCs, IAM roles, instances...). Empty: AdministratorAccess. */
  readonly deployPolicyArns: readonly string[];
  /** Managed policies of the pull-request preview role. Empty: ReadOnlyAccess. */
  readonly previewPolicyArns: readonly string[];
  /** An IAM OIDC provider for token.actions.githubusercontent.com that already exists in the account (there can be only one). */
  readonly existingOidcProviderArn?: string;
}

const SUB_KEYS = ["repository", "environment", "deployPolicyArns", "previewPolicyArns", "existingOidcProviderArn"];

const POLICY_ARN = { pattern: /arn:aws[a-z-]*:iam::(aws|\d{12}):policy\/[\w+=,.@/-]+/, allowed: "IAM managed policy ARNs (arn:aws:iam::aws:policy/<name> or arn:aws:iam::<account>:policy/<name>)" };

/** undefined when the stack has no `ciIdentity` section. */
export function parseCiIdentity(v: Validator): CiIdentityConfig | undefined {
  if (!v.has("ciIdentity") && !v.isRecording) return undefined;
  const s = v.object("ciIdentity") ?? new Validator({}, v.keyPath("ciIdentity"));
  s.rejectUnknownKeys(SUB_KEYS);
  const repository = s.requiredString("repository", {
    pattern: /[A-Za-z0-9-]{1,39}\/[A-Za-z0-9._-]{1,100}/,
    allowed: "the GitHub repository as owner/name, e.g. my-org/kubeadm-aws-platform",
  });
  const environment = s.string("environment", "dev", { pattern: /[A-Za-z0-9._ -]{1,255}/, allowed: "a GitHub environment name" }) ?? "dev";
  const existing = s.string("existingOidcProviderArn", undefined, {
    pattern: /arn:aws[a-z-]*:iam::\d{12}:oidc-provider\/token\.actions\.githubusercontent\.com/,
    allowed: "the ARN of the account's IAM OIDC provider for token.actions.githubusercontent.com",
  });
  return {
    repository,
    environment,
    deployPolicyArns: s.stringList("deployPolicyArns", [], POLICY_ARN),
    previewPolicyArns: s.stringList("previewPolicyArns", [], POLICY_ARN),
    ...(existing ? { existingOidcProviderArn: existing } : {}),
  };
}

export const ciIdentitySection = {
  keys: CI_IDENTITY_KEYS,
  parse: (v: Validator, _cluster: ClusterConfig): CiIdentityConfig | undefined => parseCiIdentity(v),
};
