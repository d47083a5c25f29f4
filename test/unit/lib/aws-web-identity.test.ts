/** The pod side of a workload's AWS role, and the transform that gives it to add-on workloads. */
import { STS_AUDIENCE, WEB_IDENTITY_TOKEN_FILE, withWebIdentity } from "../../../lib/aws-web-identity";
import { addonValues } from "../../../infra/cluster/addons";
import { terminationHandlerPatchSpec } from "../../../infra/cluster/addons/web-identity";

const ROLE = "arn:aws:iam::123456789012:role/demo-sa-ebs-csi-controller";
type Out = { volumes?: unknown[]; containers: { name: string; env?: unknown[]; volumeMounts?: unknown[] }[] };
const spec = { serviceAccountName: "ebs-csi-controller-sa", containers: [{ name: "ebs-plugin", env: [{ name: "X", value: "1" }] }, { name: "csi-provisioner" }] };

describe("withWebIdentity", () => {
  it("mounts a projected token for STS and sets the role on every container", () => {
    const out = withWebIdentity(spec, ROLE) as Out;
    expect(out.volumes).toEqual([
      { name: "aws-iam-token", projected: { sources: [{ serviceAccountToken: { audience: STS_AUDIENCE, expirationSeconds: 86400, path: "token" } }] } },
    ]);
    for (const c of out.containers) {
      expect(c.env).toEqual(expect.arrayContaining([{ name: "AWS_ROLE_ARN", value: ROLE }, { name: "AWS_WEB_IDENTITY_TOKEN_FILE", value: WEB_IDENTITY_TOKEN_FILE }]));
      expect(c.volumeMounts).toEqual([{ name: "aws-iam-token", mountPath: "/var/run/secrets/eks.amazonaws.com/serviceaccount", readOnly: true }]);
    }
    expect(out.containers[0].env?.[0]).toEqual({ name: "X", value: "1" });
  });

  it("only the named containers, when given", () => {
    const out = withWebIdentity(spec, ROLE, ["ebs-plugin"]);
    expect(out.containers[1]).toEqual(spec.containers[1]);
  });

  it("rejects a role that is not a role ARN, an unknown container and a second credential source", () => {
    expect(() => withWebIdentity(spec, "arn:aws:iam::123456789012:user/x")).toThrow(/not an IAM role ARN/);
    expect(() => withWebIdentity(spec, ROLE, ["nope"])).toThrow(/no container 'nope'/);
    expect(() => withWebIdentity(withWebIdentity(spec, ROLE), ROLE)).toThrow(/already/);
    expect(() => withWebIdentity({ containers: [{ name: "a", env: [{ name: "AWS_ROLE_ARN", value: "x" }] }] }, ROLE)).toThrow(/already sets AWS_ROLE_ARN/);
  });
});

describe("add-on workloads", () => {
  const settings = { clusterName: "demo", region: "us-east-1", podCidr: "192.168.0.0/16", terminationQueueUrl: "https://sqs.us-east-1.amazonaws.com/123456789012/q", ingressClass: "nginx" };

  it("the EBS CSI controller and cluster-autoscaler get the token and role through their charts' values", () => {
    const v = addonValues({ ...settings, awsRoleArns: { ebsCsiDriver: ROLE, clusterAutoscaler: `${ROLE}-ca` } });
    const ebs = v.ebsCsiDriver.controller as Record<string, unknown>;
    expect(ebs.env).toEqual(expect.arrayContaining([{ name: "AWS_ROLE_ARN", value: ROLE }]));
    expect(ebs.volumes).toEqual([expect.objectContaining({ name: "aws-iam-token" })]);
    expect(ebs.volumeMounts).toEqual([expect.objectContaining({ name: "aws-iam-token" })]);
    expect(ebs.serviceAccount).toEqual({ name: "ebs-csi-controller-sa" });
    const ca = v.clusterAutoscaler;
    expect(ca.extraEnv).toMatchObject({ AWS_ROLE_ARN: `${ROLE}-ca`, AWS_WEB_IDENTITY_TOKEN_FILE: WEB_IDENTITY_TOKEN_FILE });
    expect(ca.extraVolumes).toEqual([expect.objectContaining({ projected: expect.anything() })]);
    expect(ca.rbac).toEqual({ serviceAccount: { name: "cluster-autoscaler" } });
  });

  it("without roles the values carry no AWS credentials", () => {
    const text = JSON.stringify(addonValues(settings));
    expect(text).not.toMatch(/AWS_ROLE_ARN|aws-iam-token/);
  });

  it("the termination handler's patch adds the token and role to its one container, by name", () => {
    const spec = terminationHandlerPatchSpec(ROLE);
    expect(spec.template.spec.containers).toEqual([
      expect.objectContaining({ name: "aws-node-termination-handler", env: expect.arrayContaining([{ name: "AWS_ROLE_ARN", value: ROLE }]) }),
    ]);
    expect(spec.template.spec.volumes[0].projected.sources[0].serviceAccountToken.audience).toBe(STS_AUDIENCE);
  });
});
