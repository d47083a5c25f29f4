/**
 * IAM: the rendered policy documents as golden files (test/golden/iam/, rewrite with
 * UPDATE_GOLDEN=1), the no-wildcard-write rule, what each role may do, and the
 * Identity component under Pulumi mocks.
 */
import { installPulumiMocks, RecordedResource, TEST_ACCOUNT, valueOf } from "../../support/pulumi-mocks";

const mocks = installPulumiMocks();

import { ADDON_SERVICE_ACCOUNTS, addonRolePolicies, Identity, identityPolicies, MANAGED_POLICIES, PLACEHOLDER_INPUTS } from "../../../../infra/aws/identity";
import { upgradeDocumentName } from "../../../../infra/policies/state-manager";
import { PolicyDocument, PolicyStatement } from "../../../../infra/policies/document";
import { ec2AssumeRolePolicy, serviceAccountTrustPolicy, TrustPolicyDocument } from "../../../../infra/policies/trust";
import { allows } from "../../support/iam-eval";
import { isReadAction, wildcardWrites, WILDCARD_WRITE_ALLOWLIST } from "../../../../infra/policies/wildcards";
import { goldenIn } from "../../support/golden";


const expectGolden = goldenIn("iam");

const rendered = identityPolicies(PLACEHOLDER_INPUTS);
const addonDocs = addonRolePolicies(PLACEHOLDER_INPUTS);
const nodeDocs: [string, PolicyDocument][] = [
  ...Object.entries(rendered.controlPlane).map(([n, d]): [string, PolicyDocument] => [`control-plane-${n}`, d]),
  ...Object.entries(rendered.worker).map(([n, d]): [string, PolicyDocument] => [`worker-${n}`, d]),
];
const allDocs: [string, PolicyDocument][] = [
  ...nodeDocs,
  ...Object.entries(addonDocs.ebsCsiController).map(([n, d]): [string, PolicyDocument] => [`ebs-csi-controller-${n}`, d]),
];

/** Statements of `doc` that grant `action` (exact name) on a resource pattern matching `resource`. */
function grants(doc: PolicyDocument, action: string, resource: string): PolicyStatement[] {
  const glob = (p: string) => new RegExp(`^${p.replace(/[.+^${}()|[\]\\]/g, "\\$&").replace(/\*/g, ".*")}$`);
  return doc.Statement.filter(
    (s) =>
      s.Effect === "Allow" &&
      s.Action.some((a) => glob(a).test(action)) &&
      (Array.isArray(s.Resource) ? s.Resource : [s.Resource]).some((r) => glob(r).test(resource)),
  );
}

describe("IAM policy documents (golden files)", () => {
  it.each(allDocs)("%s matches its golden file", (name, doc) => {
    expectGolden(`${name}.json`, doc);
  });

  it("the EC2 trust policy matches its golden file", () => {
    expectGolden("ec2-trust.json", ec2AssumeRolePolicy("amazonaws.com"));
  });
});

describe("least privilege", () => {
  it.each(allDocs)("%s grants no write action on Resource \"*\" outside the documented allow-list", (_name, doc) => {
    expect(wildcardWrites(doc)).toEqual([]);
  });

  it("the wildcard check catches a write on *, and action wildcards", () => {
    const bad: PolicyDocument = {
      Version: "2012-10-17",
      Statement: [
        { Sid: "Bad", Effect: "Allow", Action: ["ec2:DescribeInstances", "ec2:DeleteVolume"], Resource: "*" },
        { Sid: "Worse", Effect: "Allow", Action: ["s3:*"], Resource: ["*"] },
      ],
    };
    expect(wildcardWrites(bad)).toEqual(["Bad: ec2:DeleteVolume", "Worse: s3:*"]);
    expect(isReadAction("ec2:DescribeInstances")).toBe(true);
    expect(isReadAction("secretsmanager:PutSecretValue")).toBe(false);
    for (const [action, reason] of Object.entries(WILDCARD_WRITE_ALLOWLIST)) {
      expect(action).toMatch(/^[a-z0-9-]+:[A-Za-z]+$/);
      expect(reason.length).toBeGreaterThan(20);
    }
  });

  it.each(allDocs)("%s names only this account and region in its ARNs, and uses no action wildcards", (_name, doc) => {
    for (const s of doc.Statement) {
      expect(s.Action.filter((a) => a.includes("*"))).toEqual([]);
      for (const r of Array.isArray(s.Resource) ? s.Resource : [s.Resource]) {
        if (r === "*") continue;
        const [, partition, service, region, account] = r.split(":");
        expect(partition).toBe("aws");
        if (service === "s3") continue; // S3 ARNs carry neither region nor account.
        if (service !== "iam") expect(region).toBe(PLACEHOLDER_INPUTS.region);
        // EBS snapshot ARNs have an empty account field by AWS's definition.
        if (service === "ec2" && r.split(":")[5]?.startsWith("snapshot/")) expect(account).toBe("");
        else expect(account).toBe(PLACEHOLDER_INPUTS.accountId);
      }
    }
  });

  it("workers may read the join secret and nothing else of Secrets Manager", () => {
    const w = rendered.worker["cluster-secrets"];
    const { joinSecretArn, pkiSecretArn } = PLACEHOLDER_INPUTS;
    expect(grants(w, "secretsmanager:GetSecretValue", joinSecretArn)).toHaveLength(1);
    expect(grants(w, "secretsmanager:GetSecretValue", pkiSecretArn)).toEqual([]);
    expect(grants(w, "secretsmanager:PutSecretValue", joinSecretArn)).toEqual([]);
    expect(grants(w, "secretsmanager:GetSecretValue", "arn:aws:secretsmanager:us-east-1:123456789012:secret:other/join-XyZ123")).toEqual([]);
  });

  it("the control plane reads the PKI secret and writes only the join secret", () => {
    const cp = rendered.controlPlane["cluster-secrets"];
    const { joinSecretArn, pkiSecretArn } = PLACEHOLDER_INPUTS;
    expect(grants(cp, "secretsmanager:GetSecretValue", pkiSecretArn)).toHaveLength(1);
    expect(grants(cp, "secretsmanager:PutSecretValue", joinSecretArn)).toHaveLength(1);
    expect(grants(cp, "secretsmanager:PutSecretValue", pkiSecretArn)).toEqual([]);
  });

  it("the cluster key is usable only through Secrets Manager (and S3 for backups)", () => {
    const keyStatements = allDocs.flatMap(([, d]) => d.Statement).filter((s) => s.Action.some((a) => a.startsWith("kms:")));
    expect(keyStatements.length).toBeGreaterThan(0);
    for (const s of keyStatements) {
      expect(s.Resource).toBe(PLACEHOLDER_INPUTS.kmsKeyArn);
      const via = s.Condition?.StringEquals?.["kms:ViaService"];
      expect(via).toBeDefined();
      for (const service of [via].flat()) expect(service).toMatch(/^(secretsmanager|s3)\.us-east-1\.amazonaws\.com$/);
    }
  });

  it("the control plane may upload, read and retire etcd snapshots in this cluster's bucket, never destroy a version", () => {
    const b = rendered.controlPlane["etcd-backup"];
    const bucket = PLACEHOLDER_INPUTS.etcdBackupBucketArn;
    expect(grants(b, "s3:PutObject", `${bucket}/snapshots/etcd-20260101T000000Z.db`)).toHaveLength(1);
    expect(grants(b, "s3:GetObject", `${bucket}/snapshots/etcd-20260101T000000Z.db`)).toHaveLength(1);
    expect(grants(b, "s3:PutObject", "arn:aws:s3:::another-bucket/snapshots/x")).toEqual([]);
    // Retiring (a delete marker on the versioned bucket; lifecycle expires the old version later) only under snapshots/.
    expect(grants(b, "s3:DeleteObject", `${bucket}/snapshots/x`)).toHaveLength(1);
    expect(grants(b, "s3:DeleteObject", `${bucket}/other/x`)).toEqual([]);
    expect(grants(b, "s3:DeleteObjectVersion", `${bucket}/snapshots/x`)).toEqual([]);
  });

  it("EBS and security-group writes require this cluster's tag", () => {
    const scoped = [addonDocs.ebsCsiController["ebs-csi-driver"], rendered.controlPlane["cloud-controller-manager"]]
      .flatMap((d) => d.Statement)
      .filter((s) => s.Action.some((a) => /^ec2:(Delete|Attach|Detach|Modify|Authorize|Revoke|CreateVolume|CreateSnapshot|CreateRoute)/.test(a)));
    expect(scoped.length).toBeGreaterThan(0);
    for (const s of scoped) {
      const condition = JSON.stringify(s.Condition ?? {});
      expect(condition).toMatch(/"aws:(ResourceTag|RequestTag)\/kubernetes\.io\/cluster\/demo":"owned"/);
    }
  });

  it("workers get no EBS, load-balancer or security-group permissions", () => {
    const workerActions = Object.values(rendered.worker).flatMap((d) => d.Statement.flatMap((s) => s.Action));
    expect(workerActions.filter((a) => /^(ec2|elasticloadbalancing|iam):/.test(a))).toEqual([]);
  });
});

/**
 * What only a workload needs, with a resource it would be asked for. No node role may
 * allow any of these: a pod that reached the node role (IMDS) would get them.
 */
const WORKLOAD_ONLY: [string, string][] = [
  ["ec2:CreateVolume", "arn:aws:ec2:us-east-1:123456789012:volume/vol-1"],
  ["ec2:AttachVolume", "arn:aws:ec2:us-east-1:123456789012:volume/vol-1"],
  ["ec2:DeleteVolume", "arn:aws:ec2:us-east-1:123456789012:volume/vol-1"],
  ["ec2:CreateRoute", "arn:aws:ec2:us-east-1:123456789012:route-table/rtb-1"],
  ["ec2:DeleteRoute", "arn:aws:ec2:us-east-1:123456789012:route-table/rtb-1"],
  ["ec2:ModifyInstanceAttribute", "arn:aws:ec2:us-east-1:123456789012:instance/i-1"],
  ["autoscaling:SetDesiredCapacity", "arn:aws:autoscaling:us-east-1:123456789012:autoScalingGroup:x:autoScalingGroupName/demo-a"],
  ["autoscaling:TerminateInstanceInAutoScalingGroup", "arn:aws:autoscaling:us-east-1:123456789012:autoScalingGroup:x:autoScalingGroupName/demo-a"],
  ["autoscaling:CompleteLifecycleAction", "arn:aws:autoscaling:us-east-1:123456789012:autoScalingGroup:x:autoScalingGroupName/demo-a"],
  ["sqs:ReceiveMessage", "arn:aws:sqs:us-east-1:123456789012:demo-node-termination"],
  ["ssm:GetParameter", "arn:aws:ssm:us-east-1:123456789012:parameter/anything"],
  ["ssm:GetParameters", "arn:aws:ssm:us-east-1:123456789012:parameter/anything"],
  ["ec2messages:GetMessages", "*"],
];
const CLUSTER_TAG = { "aws:ResourceTag/kubernetes.io/cluster/demo": "owned", "aws:RequestTag/kubernetes.io/cluster/demo": "owned" };

describe("node roles", () => {
  it.each(["controlPlane", "worker"] as const)("the %s role grants no permission only a workload needs", (role) => {
    const docs = Object.values(rendered[role]);
    const granted = WORKLOAD_ONLY.filter(([action, resource]) => allows(docs, action, resource, CLUSTER_TAG));
    expect(granted).toEqual([]);
  });

  it("the check fails when a node role is given a workload's policy (EBS CSI on the control plane)", () => {
    const widened = [...Object.values(rendered.controlPlane), addonDocs.ebsCsiController["ebs-csi-driver"]];
    expect(WORKLOAD_ONLY.filter(([a, r]) => allows(widened, a, r, CLUSTER_TAG)).map(([a]) => a)).toEqual(
      expect.arrayContaining(["ec2:CreateVolume", "ec2:AttachVolume", "ec2:DeleteVolume"]),
    );
  });

  it("Session Manager works without AmazonSSMManagedInstanceCore, and reads no parameter", () => {
    const sm = rendered.worker["session-manager"];
    for (const action of ["ssmmessages:CreateControlChannel", "ssmmessages:OpenDataChannel"]) expect(allows([sm], action, "*")).toBe(true);
    expect(allows([sm], "ssm:UpdateInstanceInformation", "arn:aws:ec2:us-east-1:123456789012:instance/i-1")).toBe(true);
    expect(allows([sm], "ssm:GetParameter", "arn:aws:ssm:us-east-1:123456789012:parameter/db-password")).toBe(false);
    expect(Object.values(MANAGED_POLICIES).flat()).not.toContain("AmazonSSMManagedInstanceCore");
  });

  it("the control plane's agent may run and report the upgrade association; workers may not; nobody reads other documents or parameters", () => {
    const cp = Object.values(rendered.controlPlane);
    const worker = Object.values(rendered.worker);
    const doc = (name: string) => `arn:aws:ssm:us-east-1:123456789012:document/${name}`;
    const upgradeDoc = doc(upgradeDocumentName(PLACEHOLDER_INPUTS.clusterName));
    const instance = "arn:aws:ec2:us-east-1:123456789012:instance/i-0123456789abcdef0";
    const association = "arn:aws:ssm:us-east-1:123456789012:association/0a1b2c3d-1111-2222-3333-444455556666";
    for (const [action, resource] of [
      ["ssm:ListInstanceAssociations", instance],
      ["ssm:DescribeAssociation", association],
      ["ssm:UpdateInstanceAssociationStatus", association],
      ["ssm:UpdateInstanceAssociationStatus", instance],
      ["ssm:PutComplianceItems", instance],
    ]) {
      expect([action, allows(cp, action, resource)]).toEqual([action, true]);
      expect([action, allows(worker, action, resource)]).toEqual([action, false]);
    }
    // No Run Command channel: the agent finds the association at its next poll.
    expect(allows(cp, "ec2messages:GetMessages", "*")).toBe(false);
    expect(allows(cp, "ssm:GetDocument", upgradeDoc)).toBe(true);
    expect(allows(cp, "ssm:GetDocument", doc("someone-elses-document"))).toBe(false);
    expect(allows(worker, "ssm:GetDocument", upgradeDoc)).toBe(false);
    expect(allows(cp, "ssm:GetParameter", "arn:aws:ssm:us-east-1:123456789012:parameter/db-password")).toBe(false);
    expect(allows(cp, "ssm:SendCommand", upgradeDoc)).toBe(false);
  });

  it("only workers pull from ECR; the control plane holds no managed policy", () => {
    expect(MANAGED_POLICIES).toEqual({ controlPlane: [], worker: ["AmazonEC2ContainerRegistryReadOnly"] });
  });
});

const PROVIDER_ARN = "arn:aws:iam::123456789012:oidc-provider/demo-oidc-1.s3.us-east-1.amazonaws.com";
const ISSUER = "https://demo-oidc-1.s3.us-east-1.amazonaws.com";

/**
 * Whether a trust policy lets a web-identity caller in: what STS evaluates for
 * AssumeRoleWithWebIdentity (federated principal = the provider, conditions on the
 * token's claims as `<issuer host/path>:<claim>`).
 */
function admits(trust: TrustPolicyDocument, caller: { provider: string; sub: string; aud: string }): boolean {
  const host = ISSUER.slice("https://".length);
  return trust.Statement.some(
    (s) =>
      s.Effect === "Allow" &&
      s.Action.includes("sts:AssumeRoleWithWebIdentity") &&
      "Federated" in s.Principal &&
      s.Principal.Federated === caller.provider &&
      allows(
        [{ Statement: [{ Effect: "Allow", Action: "sts:AssumeRoleWithWebIdentity", Resource: "*", Condition: s.Condition }] }],
        "sts:AssumeRoleWithWebIdentity",
        "*",
        { [`${host}:sub`]: caller.sub, [`${host}:aud`]: caller.aud },
      ),
  );
}

describe("service-account trust policies", () => {
  const sa = ADDON_SERVICE_ACCOUNTS.ebsCsiController;
  const trust = serviceAccountTrustPolicy({ providerArn: PROVIDER_ARN, issuerUrl: ISSUER, serviceAccount: sa });
  const own = { provider: PROVIDER_ARN, sub: "system:serviceaccount:kube-system:ebs-csi-controller-sa", aud: "sts.amazonaws.com" };

  it("matches its golden file", () => {
    expectGolden("service-account-trust.json", trust);
  });

  it("admits exactly the named service account with a token for STS", () => {
    expect(admits(trust, own)).toBe(true);
    expect(admits(trust, { ...own, sub: "system:serviceaccount:kube-system:default" })).toBe(false);
    expect(admits(trust, { ...own, sub: "system:serviceaccount:apps:ebs-csi-controller-sa" })).toBe(false);
    expect(admits(trust, { ...own, aud: "https://kubernetes.default.svc.cluster.local" })).toBe(false);
    expect(admits(trust, { ...own, provider: "arn:aws:iam::123456789012:oidc-provider/other.example.com" })).toBe(false);
  });

  it("break-it: a trust policy widened to any service account of the cluster is caught", () => {
    const widened: TrustPolicyDocument = JSON.parse(
      JSON.stringify(trust).replace('"StringEquals"', '"StringLike"').replace("system:serviceaccount:kube-system:ebs-csi-controller-sa", "system:serviceaccount:*"),
    );
    expect(admits(widened, { ...own, sub: "system:serviceaccount:apps:default" })).toBe(true);
    expect(() => expectTrustNamesOnly(widened, sa)).toThrow();
    expect(() => expectTrustNamesOnly(trust, sa)).not.toThrow();
  });

  it("rejects an issuer with a trailing slash and an invalid service account", () => {
    expect(() => serviceAccountTrustPolicy({ providerArn: PROVIDER_ARN, issuerUrl: `${ISSUER}/`, serviceAccount: sa })).toThrow(/trailing/);
    expect(() => serviceAccountTrustPolicy({ providerArn: PROVIDER_ARN, issuerUrl: ISSUER, serviceAccount: { namespace: "kube-system", name: "*" } })).toThrow(
      /not a valid/,
    );
  });
});

/** The shape every workload trust policy must have: one statement, StringEquals on sub (this account) and aud. */
function expectTrustNamesOnly(trust: TrustPolicyDocument, sa: { namespace: string; name: string }): void {
  expect(trust.Statement).toHaveLength(1);
  const [s] = trust.Statement;
  expect(s.Action).toEqual(["sts:AssumeRoleWithWebIdentity"]);
  expect(Object.keys(s.Condition ?? {})).toEqual(["StringEquals"]);
  const eq = s.Condition!.StringEquals;
  const sub = Object.entries(eq).find(([k]) => k.endsWith(":sub"));
  const aud = Object.entries(eq).find(([k]) => k.endsWith(":aud"));
  expect(sub?.[1]).toBe(`system:serviceaccount:${sa.namespace}:${sa.name}`);
  expect(aud?.[1]).toBe("sts.amazonaws.com");
}

describe("Identity component", () => {
  let identity: Identity;
  const inputs = {
    clusterName: "demo",
    region: "us-east-1",
    vpcId: "vpc-0abc",
    kmsKeyArn: `arn:aws:kms:us-east-1:${TEST_ACCOUNT}:key/k-1`,
    pkiSecretArn: `arn:aws:secretsmanager:us-east-1:${TEST_ACCOUNT}:secret:demo/pki-aaaaaa`,
    joinSecretArn: `arn:aws:secretsmanager:us-east-1:${TEST_ACCOUNT}:secret:demo/join-bbbbbb`,
    etcdBackupBucketArn: "arn:aws:s3:::demo-etcd-123",
    etcdBackupPrefix: "snapshots/",
    issuer: { issuerUrl: ISSUER, providerArn: PROVIDER_ARN },
    tags: { team: "platform" },
  };
  const roleOf = (r: RecordedResource) => (r.inputs.role as string).includes("control-plane") ? "controlPlane" : "worker";
  const nodeRoles = () => mocks.ofType("aws:iam/role:Role").filter((r) => !r.name.includes("-sa-"));
  const nodeAttachments = () => mocks.ofType("aws:iam/rolePolicyAttachment:RolePolicyAttachment").filter((a) => !a.name.includes("-sa-"));

  beforeAll(async () => {
    identity = new Identity("demo", inputs);
    identity.addWorkerPolicy("autoscaling-health", {
      Version: "2012-10-17",
      Statement: [{ Sid: "Health", Effect: "Allow", Action: ["autoscaling:SetInstanceHealth"], Resource: "arn:aws:autoscaling:us-east-1:123456789012:autoScalingGroup:*:autoScalingGroupName/demo-*" }],
    });
    identity.addServiceAccountRole("cluster-autoscaler", ADDON_SERVICE_ACCOUNTS.clusterAutoscaler, {}, ["arn:aws:iam::123456789012:policy/lifecycle"]);
    await mocks.settle();
  });

  it("creates two node roles that only EC2 may assume, tagged as the cluster's", () => {
    const roles = nodeRoles();
    expect(roles).toHaveLength(2);
    for (const role of roles) {
      expect(JSON.parse(role.inputs.assumeRolePolicy)).toEqual(ec2AssumeRolePolicy("amazonaws.com"));
      expect(role.inputs.tags).toMatchObject({ "kubernetes.io/cluster/demo": "owned", team: "platform" });
    }
  });

  it("every service-account role may be assumed by its one service account and nothing else", () => {
    const saRoles = mocks.ofType("aws:iam/role:Role").filter((r) => r.name.includes("-sa-"));
    const expected: Record<string, { namespace: string; name: string }> = {
      "demo-sa-ebs-csi-controller": ADDON_SERVICE_ACCOUNTS.ebsCsiController,
      "demo-sa-cluster-autoscaler": ADDON_SERVICE_ACCOUNTS.clusterAutoscaler,
    };
    expect(saRoles.map((r) => r.name).sort()).toEqual(Object.keys(expected).sort());
    for (const role of saRoles) {
      const trust: TrustPolicyDocument = JSON.parse(role.inputs.assumeRolePolicy);
      expectTrustNamesOnly(trust, expected[role.name]);
      expect(trust.Statement[0].Principal).toEqual({ Federated: PROVIDER_ARN });
      expect(role.inputs.tags).toMatchObject({ "kubernetes.io/cluster/demo": "owned" });
    }
  });

  it("gives the EBS CSI controller's role the driver policy, not the control plane", () => {
    const inline = mocks.ofType("aws:iam/rolePolicy:RolePolicy").filter((p) => p.inputs.name === "ebs-csi-driver");
    expect(inline).toHaveLength(1);
    expect(inline[0].name).toBe("demo-sa-ebs-csi-controller-ebs-csi-driver");
    const attached = mocks.ofType("aws:iam/rolePolicyAttachment:RolePolicyAttachment").filter((a) => a.name.includes("-sa-cluster-autoscaler"));
    expect(attached.map((a) => a.inputs.policyArn)).toEqual(["arn:aws:iam::123456789012:policy/lifecycle"]);
  });

  it("gives each node role an instance profile", async () => {
    const profiles = mocks.ofType("aws:iam/instanceProfile:InstanceProfile");
    expect(profiles.map(roleOf).sort()).toEqual(["controlPlane", "worker"]);
    expect(await valueOf(identity.workerInstanceProfileName)).toBe(profiles.find((p) => roleOf(p) === "worker")?.state.name);
  });

  it("attaches exactly the managed policies it documents (ECR read-only on workers), none of the broad EKS or SSM ones", () => {
    const attachments = nodeAttachments();
    for (const role of ["controlPlane", "worker"] as const) {
      const arns = attachments.filter((a) => roleOf(a) === role).map((a) => a.inputs.policyArn).sort();
      expect(arns).toEqual(MANAGED_POLICIES[role].map((p) => `arn:aws:iam::aws:policy/${p}`).sort());
    }
    const all = attachments.map((a) => a.inputs.policyArn).join(" ");
    expect(all).not.toMatch(/EKS|FullAccess|AdministratorAccess|AmazonSSMManagedInstanceCore/);
  });

  it("renders the inline policies from the real inputs", () => {
    const expected = identityPolicies({ ...inputs, partition: "aws", dnsSuffix: "amazonaws.com", accountId: TEST_ACCOUNT });
    const inline = mocks.ofType("aws:iam/rolePolicy:RolePolicy").filter((p) => !p.name.includes("-sa-"));
    for (const [role, docs] of Object.entries(expected)) {
      for (const [policyName, doc] of Object.entries(docs)) {
        const found = inline.filter((p) => roleOf(p) === role && p.inputs.name === policyName);
        expect(found).toHaveLength(1);
        expect(JSON.parse(found[0].inputs.policy)).toEqual(doc);
      }
    }
    expect(JSON.stringify(expected.controlPlane["cluster-secrets"])).toContain("secret:demo/pki-aaaaaa");
  });

  it("lets other components attach statements to a role and to the dependency list", () => {
    const extra = mocks.ofType("aws:iam/rolePolicy:RolePolicy").filter((p) => p.inputs.name === "autoscaling-health");
    expect(extra).toHaveLength(1);
    expect(roleOf(extra[0])).toBe("worker");
    expect(identity.workerPolicies).toHaveLength(MANAGED_POLICIES.worker.length + Object.keys(rendered.worker).length + 1);
    expect(identity.controlPlanePolicies).toHaveLength(MANAGED_POLICIES.controlPlane.length + Object.keys(rendered.controlPlane).length);
  });
});
