/**
 * The teardown cleanup's AWS SDK adapter (infra/cluster/teardown/aws.ts) against
 * moto, the AWS emulator: it finds exactly this cluster's load balancers, target
 * groups, CSI volumes and controller security groups, deletes them in an order AWS
 * accepts, and leaves everything else (another cluster's, node root volumes, the
 * node security group) alone.
 */
import * as path from "node:path";
import * as fs from "node:fs";
import * as os from "node:os";
import * as ec2 from "@aws-sdk/client-ec2";
import * as elb from "@aws-sdk/client-elastic-load-balancing";
import * as elbv2 from "@aws-sdk/client-elastic-load-balancing-v2";
import { cleanupCluster } from "../../infra/cluster/teardown/cleanup";
import { CSI_VOLUME_TAG, loadAwsSdk, SdkClients, sdkCleanupAws } from "../../infra/cluster/teardown/aws";
import { freePort, ServerProcess, startProcess, waitUntil } from "./processes";
import { tool } from "./tool-paths";

const REGION = "eu-west-1";
const CLUSTER_TAG = { Key: "kubernetes.io/cluster/demo", Value: "owned" };
const OTHER_TAG = { Key: "kubernetes.io/cluster/prod", Value: "owned" };

describe("cleanupCluster with the AWS SDK against moto", () => {
  let moto: ServerProcess;
  let clients: SdkClients & { ec2: ec2.EC2Client; elb: elb.ElasticLoadBalancingClient; elbv2: elbv2.ElasticLoadBalancingV2Client };
  const dir = fs.mkdtempSync(path.join(os.tmpdir(), "cleanup-moto-"));

  beforeAll(async () => {
    const port = await freePort();
    moto = startProcess("moto_server", tool("MOTO_SERVER"), ["-H", "127.0.0.1", "-p", String(port)], path.join(dir, "moto.log"));
    const endpoint = `http://127.0.0.1:${port}`;
    await waitUntil(moto, "moto answers", async () => (await fetch(`${endpoint}/moto-api/`)).ok, 60_000);
    const config = { region: REGION, endpoint, credentials: { accessKeyId: "testing", secretAccessKey: "testing" } };
    clients = { ec2: new ec2.EC2Client(config), elb: new elb.ElasticLoadBalancingClient(config), elbv2: new elbv2.ElasticLoadBalancingV2Client(config) };
  }, 90_000);

  afterAll(async () => {
    await moto?.stop();
    fs.rmSync(dir, { recursive: true, force: true });
  });

  it("removes this cluster's leftovers and nothing else", async () => {
    const { ec2: e, elb: c, elbv2: v2 } = clients;
    const vpc = (await e.send(new ec2.CreateVpcCommand({ CidrBlock: "10.0.0.0/16" }))).Vpc!.VpcId!;
    const subnets = await Promise.all(
      ["a", "b"].map(async (az, i) =>
        (await e.send(new ec2.CreateSubnetCommand({ VpcId: vpc, CidrBlock: `10.0.${i}.0/24`, AvailabilityZone: `${REGION}${az}` }))).Subnet!.SubnetId!,
      ),
    );
    // The node security group (Pulumi's) and the controller's load-balancer group, referenced by it.
    const nodeSg = (await e.send(new ec2.CreateSecurityGroupCommand({ GroupName: "demo-workers", Description: "nodes", VpcId: vpc, TagSpecifications: [{ ResourceType: "security-group", Tags: [CLUSTER_TAG] }] }))).GroupId!;
    const elbSg = (await e.send(new ec2.CreateSecurityGroupCommand({ GroupName: "k8s-elb-a1b2c3", Description: "Security group for Kubernetes ELB a1b2c3", VpcId: vpc, TagSpecifications: [{ ResourceType: "security-group", Tags: [CLUSTER_TAG] }] }))).GroupId!;
    await e.send(new ec2.AuthorizeSecurityGroupIngressCommand({ GroupId: nodeSg, IpPermissions: [{ IpProtocol: "tcp", FromPort: 30000, ToPort: 32767, UserIdGroupPairs: [{ GroupId: elbSg }] }] }));

    const nlb = async (name: string, tag: { Key: string; Value: string }) =>
      (await v2.send(new elbv2.CreateLoadBalancerCommand({ Name: name, Type: "network", Subnets: subnets, Tags: [tag] }))).LoadBalancers![0].LoadBalancerArn!;
    const mine = await nlb("a1b2c3", CLUSTER_TAG);
    const theirs = await nlb("prod-lb", OTHER_TAG);
    const tg = async (name: string, tag: { Key: string; Value: string }) =>
      (await v2.send(new elbv2.CreateTargetGroupCommand({ Name: name, Protocol: "TCP", Port: 30080, VpcId: vpc, TargetType: "instance", Tags: [tag] }))).TargetGroups![0].TargetGroupArn!;
    const myTg = await tg("k8s-tg-mine", CLUSTER_TAG);
    const theirTg = await tg("k8s-tg-prod", OTHER_TAG);
    await v2.send(new elbv2.CreateListenerCommand({ LoadBalancerArn: mine, Protocol: "TCP", Port: 80, DefaultActions: [{ Type: "forward", TargetGroupArn: myTg }] }));
    await c.send(new elb.CreateLoadBalancerCommand({ LoadBalancerName: "classic-mine", Subnets: subnets, Listeners: [{ Protocol: "TCP", LoadBalancerPort: 80, InstancePort: 30080 }], Tags: [CLUSTER_TAG] }));

    const instance = (await e.send(new ec2.RunInstancesCommand({ ImageId: "ami-12c6146b", MinCount: 1, MaxCount: 1, SubnetId: subnets[0] }))).Instances![0].InstanceId!;
    const volume = async (tags: { Key: string; Value: string }[]) =>
      (await e.send(new ec2.CreateVolumeCommand({ AvailabilityZone: `${REGION}a`, Size: 1, VolumeType: "gp3", Encrypted: true, TagSpecifications: [{ ResourceType: "volume", Tags: tags }] }))).VolumeId!;
    const csi = { Key: CSI_VOLUME_TAG, Value: "true" };
    const attached = await volume([CLUSTER_TAG, csi]);
    const free = await volume([CLUSTER_TAG, csi]);
    const rootLike = await volume([CLUSTER_TAG]); // a node's root volume: cluster tag, no CSI marker
    const prodVolume = await volume([OTHER_TAG, csi]);
    await e.send(new ec2.AttachVolumeCommand({ VolumeId: attached, InstanceId: instance, Device: "/dev/sdf" }));

    const report = await cleanupCluster(sdkCleanupAws(clients, loadAwsSdk()), { clusterName: "demo", vpcId: vpc, graceMs: 0, pollMs: 50, timeoutMs: 60_000 }).catch((e: Error) => {
      throw new Error(`${e.message}\nmoto log:\n${moto.logTail(30)}`);
    });

    expect(report.deletedLoadBalancers.sort()).toEqual([mine, "classic-mine"].sort());
    expect(report.deletedTargetGroups).toEqual([myTg]);
    expect(report.deletedVolumes.sort()).toEqual([attached, free].sort());
    expect(report.deletedSecurityGroups).toEqual([elbSg]);

    const lbs = (await v2.send(new elbv2.DescribeLoadBalancersCommand({}))).LoadBalancers!.map((l) => l.LoadBalancerArn);
    expect(lbs).toEqual([theirs]);
    expect((await c.send(new elb.DescribeLoadBalancersCommand({}))).LoadBalancerDescriptions ?? []).toEqual([]);
    expect((await v2.send(new elbv2.DescribeTargetGroupsCommand({}))).TargetGroups!.map((t) => t.TargetGroupArn)).toEqual([theirTg]);
    const volumes = (await e.send(new ec2.DescribeVolumesCommand({}))).Volumes!.map((v) => v.VolumeId);
    expect(volumes).toEqual(expect.arrayContaining([rootLike, prodVolume]));
    expect(volumes).not.toContain(attached);
    expect(volumes).not.toContain(free);
    const groups = (await e.send(new ec2.DescribeSecurityGroupsCommand({ Filters: [{ Name: "vpc-id", Values: [vpc] }] }))).SecurityGroups!;
    expect(groups.map((g) => g.GroupId)).toContain(nodeSg);
    expect(groups.map((g) => g.GroupId)).not.toContain(elbSg);
    // The node group lost only the rule that pointed at the deleted group.
    const node = groups.find((g) => g.GroupId === nodeSg)!;
    expect(JSON.stringify(node.IpPermissions)).not.toContain(elbSg);
  }, 120_000);
});
