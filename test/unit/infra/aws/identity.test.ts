/**
 * IAM: the rendered policy documents as golden files (test/golden/iam/, rewrite with
 * UPDATE_GOLDEN=1), the no-wildcard-write rule, what each role may do, and the
 * Identity component under Pulumi mocks.
 */
import { installPulumiMocks, RecordedResource, TEST_ACCOUNT, valueOf } from "../../support/pulumi-mocks";

const mocks = installPulumiMocks();

import { Identity, identityPolicies, MANAGED_POLICIES, PLACEHOLDER_INPUTS } from "../../../../infra/aws/identity";
import { PolicyDocument, PolicyStatement } from "../../../../infra/policies/document";
import { ec2AssumeRolePolicy } from "../../../../infra/policies/trust";
import { isReadAction, wildcardWrites, WILDCARD_WRITE_ALLOWLIST } from "../../../../infra/policies/wildcards";
import { goldenIn } from "../../support/golden";


const expectGolden = goldenIn("iam");

const rendered = identityPolicies(PLACEHOLDER_INPUTS);
const allDocs: [string, PolicyDocument][] = [
  ...Object.entries(rendered.controlPlane).map(([n, d]): [string, PolicyDocument] => [`control-plane-${n}`, d]),
  ...Object.entries(rendered.worker).map(([n, d]): [string, PolicyDocument] => [`worker-${n}`, d]),
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

  it("the control plane may upload and read etcd snapshots in this cluster's bucket but not delete them", () => {
    const b = rendered.controlPlane["etcd-backup"];
    const bucket = PLACEHOLDER_INPUTS.etcdBackupBucketArn;
    expect(grants(b, "s3:PutObject", `${bucket}/snapshots/etcd-20260101T000000Z.db`)).toHaveLength(1);
    expect(grants(b, "s3:GetObject", `${bucket}/snapshots/etcd-20260101T000000Z.db`)).toHaveLength(1);
    expect(grants(b, "s3:PutObject", "arn:aws:s3:::another-bucket/snapshots/x")).toEqual([]);
    expect(grants(b, "s3:DeleteObject", `${bucket}/snapshots/x`)).toEqual([]);
    expect(grants(b, "s3:DeleteObjectVersion", `${bucket}/snapshots/x`)).toEqual([]);
  });

  it("EBS and security-group writes require this cluster's tag", () => {
    const scoped = [rendered.controlPlane["ebs-csi-driver"], rendered.controlPlane["cloud-controller-manager"]]
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
    tags: { team: "platform" },
  };
  const roleOf = (r: RecordedResource) => (r.inputs.role as string).includes("control-plane") ? "controlPlane" : "worker";

  beforeAll(async () => {
    identity = new Identity("demo", inputs);
    identity.addWorkerPolicy("autoscaling-health", {
      Version: "2012-10-17",
      Statement: [{ Sid: "Health", Effect: "Allow", Action: ["autoscaling:SetInstanceHealth"], Resource: "arn:aws:autoscaling:us-east-1:123456789012:autoScalingGroup:*:autoScalingGroupName/demo-*" }],
    });
    await mocks.settle();
  });

  it("creates two roles that only EC2 may assume, tagged as the cluster's", () => {
    const roles = mocks.ofType("aws:iam/role:Role");
    expect(roles).toHaveLength(2);
    for (const role of roles) {
      expect(JSON.parse(role.inputs.assumeRolePolicy)).toEqual(ec2AssumeRolePolicy("amazonaws.com"));
      expect(role.inputs.tags).toMatchObject({ "kubernetes.io/cluster/demo": "owned", team: "platform" });
    }
  });

  it("gives each role an instance profile", async () => {
    const profiles = mocks.ofType("aws:iam/instanceProfile:InstanceProfile");
    expect(profiles.map(roleOf).sort()).toEqual(["controlPlane", "worker"]);
    expect(await valueOf(identity.workerInstanceProfileName)).toBe(profiles.find((p) => roleOf(p) === "worker")?.state.name);
  });

  it("attaches exactly the managed policies it documents (SSM and ECR read-only), none of the broad EKS ones", () => {
    const attachments = mocks.ofType("aws:iam/rolePolicyAttachment:RolePolicyAttachment");
    for (const role of ["controlPlane", "worker"]) {
      const arns = attachments.filter((a) => roleOf(a) === role).map((a) => a.inputs.policyArn).sort();
      expect(arns).toEqual(MANAGED_POLICIES.map((p) => `arn:aws:iam::aws:policy/${p}`).sort());
    }
    const all = attachments.map((a) => a.inputs.policyArn).join(" ");
    expect(all).not.toMatch(/EKS|FullAccess|AdministratorAccess/);
  });

  it("renders the inline policies from the real inputs", () => {
    const expected = identityPolicies({ ...inputs, partition: "aws", dnsSuffix: "amazonaws.com", accountId: TEST_ACCOUNT });
    const inline = mocks.ofType("aws:iam/rolePolicy:RolePolicy");
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
    expect(identity.workerPolicies).toHaveLength(MANAGED_POLICIES.length + Object.keys(rendered.worker).length + 1);
    expect(identity.controlPlanePolicies).toHaveLength(MANAGED_POLICIES.length + Object.keys(rendered.controlPlane).length);
  });
});
