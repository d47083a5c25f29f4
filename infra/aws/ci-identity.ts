/**
 * Optional (stack section `ciIdentity`): the AWS roles GitHub Actions assumes through
 * GitHub's OpenID Connect provider, so no workflow holds long-lived AWS keys.
 *
 * - deploy role: only runs of the repository's deploy environment (`deploy.yml`'s
 *   `environment:`, whose required reviewers approve each run) may assume it; it gets
 *   what `pulumi up` needs (AdministratorAccess unless the stack names narrower
 *   policies) and the API tunnel's Session Manager rights.
 * - preview role: only the repository's pull-request runs; read-only plus the tunnel
 *   (a preview reads the cluster too). Pull requests from forks get no OIDC token.
 *
 * Both trust policies match the token's `sub` exactly (infra/policies/ci.ts). Created
 * once from a workstation (`pulumi up` with the section set); the outputs
 * `ciDeployRoleArn` / `ciPreviewRoleArn` go into the repository variables the
 * workflows read (README "CI deploys through a tunnel").
 */
import * as aws from "@pulumi/aws";
import * as pulumi from "@pulumi/pulumi";
import type { CiIdentityConfig } from "../config/ci-identity";
import { GITHUB_OIDC_AUDIENCE, GITHUB_OIDC_HOST, apiTunnelPolicy, githubActionsTrustPolicy, githubSubjects } from "../policies/ci";
import { resourceTags } from "./tags";

export interface CiIdentityArgs {
  readonly clusterName: string;
  readonly region: string;
  readonly settings: CiIdentityConfig;
  /** @default {} */
  readonly tags?: Readonly<Record<string, string>>;
}

export class CiIdentity extends pulumi.ComponentResource {
  readonly deployRoleArn: pulumi.Output<string>;
  readonly previewRoleArn: pulumi.Output<string>;
  readonly oidcProviderArn: pulumi.Output<string>;

  constructor(name: string, args: CiIdentityArgs, opts?: pulumi.ComponentResourceOptions) {
    super("platform:infra:CiIdentity", name, {}, opts);
    const parent = { parent: this };
    const s = args.settings;
    const partition = aws.getPartitionOutput({}, parent);
    const caller = aws.getCallerIdentityOutput({}, parent);
    const tags = (resource: string) => resourceTags(args.clusterName, args.tags ?? {}, `${args.clusterName}-${resource}`);

    // IAM keeps one provider per issuer URL and account: reuse the account's if it has one.
    this.oidcProviderArn = s.existingOidcProviderArn
      ? pulumi.output(s.existingOidcProviderArn)
      : new aws.iam.OpenIdConnectProvider(
          `${name}-github`,
          // No thumbprint: IAM verifies GitHub's issuer against its own trusted CAs.
          { url: `https://${GITHUB_OIDC_HOST}`, clientIdLists: [GITHUB_OIDC_AUDIENCE], tags: tags("github-oidc") },
          parent,
        ).arn;

    const tunnel = pulumi
      .all([partition.partition, caller.accountId])
      .apply(([part, accountId]) => JSON.stringify(apiTunnelPolicy({ partition: part, region: args.region, accountId, clusterName: args.clusterName })));

    const role = (suffix: string, subjects: string[], managed: readonly string[], fallback: string, description: string) => {
      const r = new aws.iam.Role(
        `${name}-${suffix}`,
        {
          assumeRolePolicy: this.oidcProviderArn.apply((arn) => JSON.stringify(githubActionsTrustPolicy(arn, subjects))),
          description,
          // A run needs at most the deploy job's 90 minutes.
          maxSessionDuration: 2 * 3600,
          tags: tags(`ci-${suffix}`),
        },
        parent,
      );
      const arns = managed.length > 0 ? managed.map((a) => pulumi.output(a)) : [pulumi.interpolate`arn:${partition.partition}:iam::aws:policy/${fallback}`];
      arns.forEach((policyArn, i) => new aws.iam.RolePolicyAttachment(`${name}-${suffix}-managed-${i}`, { role: r.name, policyArn }, parent));
      new aws.iam.RolePolicy(`${name}-${suffix}-api-tunnel`, { role: r.name, name: "api-tunnel", policy: tunnel }, parent);
      return r;
    };

    const deploy = role(
      "deploy",
      githubSubjects(s.repository, { environment: s.environment }),
      s.deployPolicyArns,
      "AdministratorAccess",
      `GitHub Actions deploys of ${s.repository} (environment ${s.environment}) to ${args.clusterName}`,
    );
    const preview = role(
      "preview",
      githubSubjects(s.repository, { pullRequests: true }),
      s.previewPolicyArns,
      "ReadOnlyAccess",
      `GitHub Actions pull-request previews of ${s.repository} against ${args.clusterName}`,
    );
    this.deployRoleArn = deploy.arn;
    this.previewRoleArn = preview.arn;
    this.registerOutputs({ deployRoleArn: this.deployRoleArn, previewRoleArn: this.previewRoleArn, oidcProviderArn: this.oidcProviderArn });
  }
}
