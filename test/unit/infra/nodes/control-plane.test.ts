/**
 * The ControlPlane component under Pulumi mocks, wired to a real ClusterPki and
 * ClusterSecrets so that "no secret in user-data" is checked against the actual PKI
 * outputs of the same program; plus the pure helpers it is built from.
 */
import * as pulumi from "@pulumi/pulumi";
import { parse } from "yaml";
import { installPulumiMocks, TEST_AMI, TEST_REGION, validStackConfig, valueOf } from "../../support/pulumi-mocks";
import { fakePem, tlsState } from "../../support/tls-mocks";

const mocks = installPulumiMocks({
  resourceState: (r) => ({
    ...tlsState(r),
    ...(r.type === "aws:ec2/eip:Eip" ? { publicDns: "ec2-198-51-100-20.compute-1.amazonaws.com" } : {}),
  }),
});

import { parseConfig } from "../../../../infra/config";
import {
  apiServerCertSans,
  ControlPlane,
  controlPlanePrivateIp,
  ssmSessionCommand,
} from "../../../../infra/nodes/control-plane";
import { CANONICAL_OWNER_ID } from "../../../../infra/nodes/ami";
import { decodeUserData } from "../../../../infra/nodes/user-data";
import { ClusterPki } from "../../../../infra/aws/pki";
import { ClusterSecrets } from "../../../../infra/aws/secrets";

const PEM = /-----BEGIN [A-Z ]+-----/;
const BOOTSTRAP_TOKEN = /[a-z0-9]{6}\.[a-z0-9]{16}/;

async function build(overrides: Record<string, unknown> = {}) {
  mocks.reset();
  const config = parseConfig(validStackConfig(overrides), { region: TEST_REGION });
  const pki = new ClusterPki("pki", { clusterName: config.cluster.clusterName });
  const secrets = new ClusterSecrets("secrets", {
    clusterName: config.cluster.clusterName,
    region: TEST_REGION,
    pkiSecretString: pki.pkiSecretString,
  });
  const cp = new ControlPlane("control-plane", {
    cluster: config.cluster,
    subnetId: "subnet-0a",
    subnetCidr: config.cluster.publicSubnetCidrs[0],
    securityGroupIds: ["sg-cp"],
    instanceProfileName: "demo-control-plane",
    pkiSecretArn: secrets.pkiSecretArn,
    joinSecretArn: secrets.joinSecretArn,
    kmsKeyArn: secrets.kmsKeyArn,
    backupBucketName: "demo-etcd-backups",
    serviceAccountIssuerUrl: "https://demo-oidc-1.s3.us-east-1.amazonaws.com",
  });
  const [userData, apiServerUrl, ssmCommand, secretDoc] = await valueOf(
    pulumi.all([cp.userData, cp.apiServerUrl, cp.ssmCommand, pki.pkiSecretString]),
  );
  await mocks.settle();
  return { config, cp, userData, apiServerUrl, ssmCommand, secretDoc };
}

describe("ControlPlane", () => {
  it("requires IMDSv2 with hop limit 1 (no pod reaches the role) and an encrypted gp3 root volume of the configured size", async () => {
    await build({ rootVolumeSizeGiB: 40 });
    const instance = mocks.one("aws:ec2/instance:Instance");
    expect(instance.inputs.metadataOptions).toMatchObject({ httpEndpoint: "enabled", httpTokens: "required", httpPutResponseHopLimit: 1 });
    // VXLAN everywhere: the interface only ever sends its own address.
    expect(mocks.one("aws:ec2/networkInterface:NetworkInterface").inputs.sourceDestCheck).toBeUndefined();
    expect(instance.inputs.rootBlockDevice).toMatchObject({ volumeType: "gp3", encrypted: true, volumeSize: 40 });
    expect(instance.inputs.instanceType).toBe("t3.medium");
    expect(instance.inputs.iamInstanceProfile).toBe("demo-control-plane");
    expect(instance.inputs.keyName).toBeUndefined();
  });

  it("launches on a fixed interface that outlives it, with an Elastic IP on that interface", async () => {
    const { cp } = await build();
    const nic = mocks.one("aws:ec2/networkInterface:NetworkInterface");
    expect(nic.inputs).toMatchObject({ subnetId: "subnet-0a", privateIps: ["10.0.0.10"], securityGroups: ["sg-cp"] });
    const instance = mocks.one("aws:ec2/instance:Instance");
    expect(instance.inputs.primaryNetworkInterface).toEqual({ networkInterfaceId: nic.id, deleteOnTermination: false });
    // No subnet or public address of its own: both come with the interface.
    expect(instance.inputs.subnetId).toBeUndefined();
    expect(instance.inputs.associatePublicIpAddress).toBeUndefined();
    const eip = mocks.one("aws:ec2/eip:Eip");
    expect(eip.inputs).toMatchObject({ domain: "vpc", networkInterface: nic.id, associateWithPrivateIp: "10.0.0.10" });
    expect(cp.privateIp).toBe("10.0.0.10");
    expect(cp.internalEndpoint).toBe("10.0.0.10:6443");
  });

  it("tags the instance, its volumes, the interface and the Elastic IP as owned by the cluster", async () => {
    await build({ tags: { team: "platform" } });
    for (const type of ["aws:ec2/instance:Instance", "aws:ec2/networkInterface:NetworkInterface", "aws:ec2/eip:Eip"]) {
      const r = mocks.one(type);
      expect(r.inputs.tags["kubernetes.io/cluster/demo"]).toBe("owned");
      expect(r.inputs.tags.team).toBe("platform");
    }
    expect(mocks.one("aws:ec2/instance:Instance").inputs.volumeTags["kubernetes.io/cluster/demo"]).toBe("owned");
  });

  it("looks up Canonical's newest Ubuntu 24.04 AMI for the instance's architecture unless an AMI is configured", async () => {
    await build();
    const lookup = mocks.calls.find((c) => c.token === "aws:ec2/getAmi:getAmi");
    expect(lookup?.inputs.owners).toEqual([CANONICAL_OWNER_ID]);
    expect(lookup?.inputs.mostRecent).toBe(true);
    expect(lookup?.inputs.filters).toContainEqual({ name: "name", values: ["ubuntu/images/hvm-ssd-gp3/ubuntu-noble-24.04-amd64-server-*"] });
    expect(mocks.one("aws:ec2/instance:Instance").inputs.ami).toBe(TEST_AMI);

    await build({ amiId: "ami-0fedcba9876543210" });
    expect(mocks.calls.find((c) => c.token === "aws:ec2/getAmi:getAmi")).toBeUndefined();
    expect(mocks.one("aws:ec2/instance:Instance").inputs.ami).toBe("ami-0fedcba9876543210");
  });

  it("passes the rendered cloud-config gzipped, and it holds no PEM block, no token and no part of the PKI", async () => {
    const { userData, secretDoc } = await build();
    const instance = mocks.one("aws:ec2/instance:Instance");
    expect(instance.inputs.userData).toBeUndefined();
    const decoded = decodeUserData(instance.inputs.userDataBase64);
    expect(decoded).toBe(userData);
    expect(decoded).not.toMatch(PEM);
    expect(decoded).not.toMatch(BOOTSTRAP_TOKEN);
    for (const pem of Object.values(JSON.parse(secretDoc) as Record<string, string>)) {
      const body = pem.split("\n")[1];
      expect(decoded).not.toContain(body);
    }
    expect(decoded).not.toContain(fakePem("RSA PRIVATE KEY", "pki-admin").split("\n")[1]);
  });

  it("tells the node where its secrets are, which endpoint to serve and which names to certify", async () => {
    const { userData } = await build({ etcdBackupIntervalMinutes: 30 });
    const env = parse(userData).write_files.find((f: { path: string }) => f.path === "/etc/platform/bootstrap.env").content as string;
    expect(env).toMatch(/^PKI_SECRET_ARN='arn:aws:secretsmanager:us-east-1:123456789012:secret:demo\/pki-AbCdEf'$/m);
    expect(env).toMatch(/^JOIN_SECRET_ARN='arn:aws:secretsmanager:.*:secret:demo\/join-AbCdEf'$/m);
    expect(env).toMatch(/^ETCD_BACKUP_BUCKET='demo-etcd-backups'$/m);
    expect(env).toMatch(/^ETCD_BACKUP_INTERVAL_MINUTES='30'$/m);
    expect(env).toMatch(/^CONTROL_PLANE_ENDPOINT_IP='10\.0\.0\.10'$/m);
    expect(env).toMatch(
      /^API_SERVER_CERT_SANS='10\.0\.0\.10 198\.51\.100\.20 ec2-198-51-100-20\.compute-1\.amazonaws\.com 127\.0\.0\.1 localhost'$/m,
    );
  });

  it("adds the configured certificate names, and rejects a wildcard before declaring anything", async () => {
    const { userData } = await build({ apiServerCertSans: ["api.example.com", "203.0.113.9"] });
    expect(userData).toMatch(/^ {6}API_SERVER_CERT_SANS='10\.0\.0\.10 198\.51\.100\.20 \S+ api\.example\.com 203\.0\.113\.9 127\.0\.0\.1 localhost'$/m);
    mocks.reset();
    expect(() => parseConfig(validStackConfig({ apiServerCertSans: ["*.example.com"] }), { region: TEST_REGION })).toThrow(
      /apiServerCertSans\[0\]: got "\*\.example\.com"; allowed: a lowercase DNS name/,
    );
    expect(mocks.resources).toHaveLength(0);
  });

  it("exports the public API URL and the Session Manager command", async () => {
    const { apiServerUrl, ssmCommand } = await build();
    expect(apiServerUrl).toBe("https://198.51.100.20:6443");
    expect(ssmCommand).toBe(`aws ssm start-session --target control-plane-id --region ${TEST_REGION}`);
  });
});

describe("control-plane helpers", () => {
  it("fixes the private address at offset 10 of the subnet and refuses subnets too small for it", () => {
    expect(controlPlanePrivateIp("10.0.0.0/20")).toBe("10.0.0.10");
    expect(controlPlanePrivateIp("10.0.16.0/20")).toBe("10.0.16.10");
    expect(() => controlPlanePrivateIp("10.0.0.0/29")).toThrow(/too small/);
    expect(() => controlPlanePrivateIp("10.0.0.1/20")).toThrow(/not a CIDR/);
  });

  it("lists every endpoint address once, without empty entries", () => {
    expect(apiServerCertSans({ privateIp: "10.0.0.10", publicIp: "198.51.100.20", publicDns: "", extra: ["api.example.com", "10.0.0.10"] })).toEqual([
      "10.0.0.10",
      "198.51.100.20",
      "api.example.com",
      "127.0.0.1",
      "localhost",
    ]);
  });

  it("formats the Session Manager command", () => {
    expect(ssmSessionCommand("i-0abc", "eu-west-1")).toBe("aws ssm start-session --target i-0abc --region eu-west-1");
  });
});
