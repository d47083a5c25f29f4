/**
 * The GitHub Actions roles (infra/aws/ci-identity.ts, stack section `ciIdentity`):
 * trust limited to the repository's deploy environment or its pull requests, exactly;
 * the API tunnel's rights limited to a port-forwarding session to this cluster's control
 * plane. IAM documents as golden files (test/golden/iam/; parliament lints them).
 */
import { installPulumiMocks, valueOf, validStackConfig } from "../../support/pulumi-mocks";

const mocks = installPulumiMocks();

import { CiIdentity } from "../../../../infra/aws/ci-identity";
import { parseConfig } from "../../../../infra/config";
import { apiTunnelPolicy, githubActionsTrustPolicy, githubSubjects } from "../../../../infra/policies/ci";
import { allows } from "../../support/iam-eval";
import { goldenIn } from "../../support/golden";

const CTX = { partition: "aws", region: "eu-west-1", accountId: "123456789012", clusterName: "demo" };
const PROVIDER = "arn:aws:iam::123456789012:oidc-provider/token.actions.githubusercontent.com";
const REPO = "my-org/kubeadm-aws-platform";
const expectGolden = goldenIn("iam");

describe("CI identity documents", () => {
  it("match their golden files", () => {
    expectGolden("ci-deploy-trust.json", githubActionsTrustPolicy(PROVIDER, githubSubjects(REPO, { environment: "dev" })));
    expectGolden("ci-preview-trust.json", githubActionsTrustPolicy(PROVIDER, githubSubjects(REPO, { pullRequests: true })));
    expectGolden("ci-api-tunnel.json", apiTunnelPolicy(CTX));
  });

  it("trust exactly one repository's environment or pull requests, never by wildcard", () => {
    const trust = githubActionsTrustPolicy(PROVIDER, githubSubjects(REPO, { environment: "dev" }));
    const condition = trust.Statement[0].Condition;
    expect(Object.keys(condition)).toEqual(["StringEquals"]);
    expect(condition.StringEquals["token.actions.githubusercontent.com:sub"]).toEqual([`repo:${REPO}:environment:dev`]);
    expect(condition.StringEquals["token.actions.githubusercontent.com:aud"]).toBe("sts.amazonaws.com");
    expect(() => githubActionsTrustPolicy(PROVIDER, [])).toThrow("at least one");
  });

  it("lets the tunnel start a port-forwarding session to this cluster's control plane only", () => {
    const doc = apiTunnelPolicy(CTX);
    const instance = "arn:aws:ec2:eu-west-1:123456789012:instance/i-0abc";
    const cp = { "ssm:resourceTag/kubernetes.io/cluster/demo": "owned", "ssm:resourceTag/Name": "demo-control-plane" };
    expect(allows([doc], "ssm:StartSession", instance, cp)).toBe(true);
    expect(allows([doc], "ssm:StartSession", "arn:aws:ssm:eu-west-1::document/AWS-StartPortForwardingSession")).toBe(true);
    // A worker of the same cluster, another cluster's control plane, a shell session.
    expect(allows([doc], "ssm:StartSession", instance, { ...cp, "ssm:resourceTag/Name": "demo-worker" })).toBe(false);
    expect(allows([doc], "ssm:StartSession", instance, { "ssm:resourceTag/kubernetes.io/cluster/other": "owned", "ssm:resourceTag/Name": "demo-control-plane" })).toBe(false);
    expect(allows([doc], "ssm:StartSession", "arn:aws:ssm:eu-west-1::document/AWS-StartInteractiveCommand")).toBe(false);
    expect(allows([doc], "ssm:SendCommand", instance, cp)).toBe(false);
  });
});

describe("ciIdentity stack section", () => {
  const parse = (ci?: unknown) => parseConfig(validStackConfig(ci === undefined ? {} : { ciIdentity: ci }), { region: "eu-west-1" }).ciIdentity;

  it("is off unless the stack sets it, and defaults the environment and policies", () => {
    expect(parse()).toBeUndefined();
    expect(parse({ repository: REPO })).toEqual({ repository: REPO, environment: "dev", deployPolicyArns: [], previewPolicyArns: [] });
  });

  it("names each bad key", () => {
    expect(() => parse({})).toThrow("ciIdentity.repository");
    expect(() => parse({ repository: "not a repo" })).toThrow("ciIdentity.repository");
    expect(() => parse({ repository: REPO, deployPolicyArns: ["AdministratorAccess"] })).toThrow("ciIdentity.deployPolicyArns");
    expect(() => parse({ repository: REPO, existingOidcProviderArn: "arn:aws:iam::123456789012:oidc-provider/example.com" })).toThrow("ciIdentity.existingOidcProviderArn");
    expect(() => parse({ repository: REPO, branch: "main" })).toThrow("ciIdentity.branch");
  });
});

describe("CiIdentity under mocks", () => {
  beforeEach(() => mocks.reset());

  it("creates GitHub's OIDC provider and two roles whose trust names the repository's environment and pull requests", async () => {
    const ci = new CiIdentity("demo-ci", { clusterName: "demo", region: "eu-west-1", settings: { repository: REPO, environment: "dev", deployPolicyArns: [], previewPolicyArns: [] } });
    await valueOf(ci.deployRoleArn);
    await mocks.settle();
    const provider = mocks.one("aws:iam/openIdConnectProvider:OpenIdConnectProvider");
    expect(provider.inputs).toMatchObject({ url: "https://token.actions.githubusercontent.com", clientIdLists: ["sts.amazonaws.com"] });
    const trust = (role: string) => JSON.parse(mocks.one("aws:iam/role:Role", role).inputs.assumeRolePolicy).Statement[0].Condition.StringEquals["token.actions.githubusercontent.com:sub"];
    expect(trust("demo-ci-deploy")).toEqual([`repo:${REPO}:environment:dev`]);
    expect(trust("demo-ci-preview")).toEqual([`repo:${REPO}:pull_request`]);
    const attached = mocks.ofType("aws:iam/rolePolicyAttachment:RolePolicyAttachment").map((a) => [a.name, a.inputs.policyArn]);
    expect(attached).toEqual([
      ["demo-ci-deploy-managed-0", "arn:aws:iam::aws:policy/AdministratorAccess"],
      ["demo-ci-preview-managed-0", "arn:aws:iam::aws:policy/ReadOnlyAccess"],
    ]);
    expect(mocks.ofType("aws:iam/rolePolicy:RolePolicy").map((p) => p.name)).toEqual(["demo-ci-deploy-api-tunnel", "demo-ci-preview-api-tunnel"]);
  });

  it("reuses an existing OIDC provider and the stack's narrower policies", async () => {
    const ci = new CiIdentity("demo-ci", {
      clusterName: "demo",
      region: "eu-west-1",
      settings: { repository: REPO, environment: "prod", deployPolicyArns: ["arn:aws:iam::123456789012:policy/deployer"], previewPolicyArns: [], existingOidcProviderArn: PROVIDER },
    });
    await valueOf(ci.deployRoleArn);
    await mocks.settle();
    expect(mocks.ofType("aws:iam/openIdConnectProvider:OpenIdConnectProvider")).toHaveLength(0);
    expect(JSON.parse(mocks.one("aws:iam/role:Role", "demo-ci-deploy").inputs.assumeRolePolicy).Statement[0].Principal.Federated).toBe(PROVIDER);
    expect(mocks.one("aws:iam/rolePolicyAttachment:RolePolicyAttachment", "demo-ci-deploy").inputs.policyArn).toBe("arn:aws:iam::123456789012:policy/deployer");
  });
});
