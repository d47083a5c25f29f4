/**
 * The GitHub Actions roles (infra/aws/ci-identity.ts): who may assume them (GitHub's
 * OpenID Connect tokens for one repository, narrowed to one deployment environment or
 * to pull requests) and the Session Manager rights the API tunnel needs
 * (.github/scripts/api-tunnel.sh). Pure.
 */
import { PolicyDocument, policy } from "./document";

/** GitHub's OIDC issuer, without the scheme (the form IAM condition keys use). */
export const GITHUB_OIDC_HOST = "token.actions.githubusercontent.com";

/** The audience `aws-actions/configure-aws-credentials` asks GitHub's token for. */
export const GITHUB_OIDC_AUDIENCE = "sts.amazonaws.com";

export interface GithubTrustStatement {
  readonly Sid: string;
  readonly Effect: "Allow";
  readonly Principal: { readonly Federated: string };
  readonly Action: string[];
  readonly Condition: Record<string, Record<string, string | string[]>>;
}

export interface GithubTrustPolicyDocument {
  readonly Version: "2012-10-17";
  readonly Statement: GithubTrustStatement[];
}

/**
 * Lets GitHub Actions runs whose token `sub` is one of `subjects` assume the role
 * (`repo:<owner>/<name>:environment:<env>` for a job that names an environment,
 * `repo:<owner>/<name>:pull_request` for pull-request runs). StringEquals, not
 * StringLike: no wildcard ever widens the repository or the environment.
 */
export function githubActionsTrustPolicy(oidcProviderArn: string, subjects: readonly string[]): GithubTrustPolicyDocument {
  if (subjects.length === 0) throw new Error("a GitHub Actions role needs at least one token subject");
  return {
    Version: "2012-10-17",
    Statement: [
      {
        Sid: "GithubActionsOfThisRepository",
        Effect: "Allow",
        Principal: { Federated: oidcProviderArn },
        Action: ["sts:AssumeRoleWithWebIdentity"],
        Condition: {
          StringEquals: { [`${GITHUB_OIDC_HOST}:aud`]: GITHUB_OIDC_AUDIENCE, [`${GITHUB_OIDC_HOST}:sub`]: [...subjects] },
        },
      },
    ],
  };
}

/** The token subjects of a repository's runs in `environment` and, optionally, of its pull requests. */
export function githubSubjects(repository: string, o: { environment?: string; pullRequests?: boolean }): string[] {
  return [
    ...(o.environment ? [`repo:${repository}:environment:${o.environment}`] : []),
    ...(o.pullRequests ? [`repo:${repository}:pull_request`] : []),
  ];
}

export interface TunnelPolicyContext {
  readonly partition: string;
  readonly region: string;
  readonly accountId: string;
  readonly clusterName: string;
}

/**
 * What the API tunnel needs: a port-forwarding session (AWS-StartPortForwardingSession)
 * to the cluster's control plane and nothing else (no shell document, no other
 * instance: the tags name the cluster and its control plane), ending its
 * own sessions, and reading the instance's Session Manager status while it waits.
 */
export function apiTunnelPolicy(ctx: TunnelPolicyContext): PolicyDocument {
  const arn = (service: string, resource: string, region = ctx.region, account = ctx.accountId) =>
    `arn:${ctx.partition}:${service}:${region}:${account}:${resource}`;
  return policy(
    {
      Sid: "PortForwardToTheControlPlane",
      Effect: "Allow",
      Action: ["ssm:StartSession"],
      Resource: arn("ec2", "instance/*"),
      Condition: {
        StringEquals: {
          [`ssm:resourceTag/kubernetes.io/cluster/${ctx.clusterName}`]: "owned",
          // The Name infra/nodes/control-plane.ts gives the instance; workers carry the cluster tag too.
          "ssm:resourceTag/Name": `${ctx.clusterName}-control-plane`,
        },
      },
    },
    {
      Sid: "OnlyThePortForwardingDocument",
      Effect: "Allow",
      Action: ["ssm:StartSession"],
      Resource: arn("ssm", "document/AWS-StartPortForwardingSession", ctx.region, ""),
    },
    {
      Sid: "EndOwnSessions",
      Effect: "Allow",
      Action: ["ssm:TerminateSession", "ssm:ResumeSession"],
      Resource: arn("ssm", "session/${aws:userid}-*"),
    },
    {
      Sid: "WaitForTheAgent",
      Effect: "Allow",
      Action: ["ssm:DescribeInstanceInformation"],
      Resource: "*",
    },
  );
}
