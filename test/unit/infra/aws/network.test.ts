import { installPulumiMocks, TEST_AZS, valueOf } from "../../support/pulumi-mocks";

// Zones deliberately out of order: the component must sort, not trust the API's order.
const mocks = installPulumiMocks({ availabilityZones: ["us-east-1c", "us-east-1a", "us-east-1b"] });

import { publicSubnetCidrs } from "../../../../infra/config/cluster";
import { Network, pickZones } from "../../../../infra/aws/network";

const TAGGABLE = ["aws:ec2/vpc:Vpc", "aws:ec2/subnet:Subnet", "aws:ec2/internetGateway:InternetGateway", "aws:ec2/routeTable:RouteTable"];

async function build(count: number, tags: Record<string, string> = { team: "platform" }) {
  mocks.reset();
  const network = new Network("demo", {
    clusterName: "demo",
    region: "us-east-1",
    vpcCidr: "10.0.0.0/16",
    publicSubnetCidrs: publicSubnetCidrs("10.0.0.0/16", 20, count),
    tags,
  });
  const zones = await valueOf(network.availabilityZones);
  await mocks.settle();
  return { network, zones };
}

describe("Network", () => {
  it("creates a VPC with DNS hostnames and DNS support", async () => {
    await build(2);
    const vpc = mocks.one("aws:ec2/vpc:Vpc");
    expect(vpc.inputs).toMatchObject({ cidrBlock: "10.0.0.0/16", enableDnsHostnames: true, enableDnsSupport: true });
  });

  it("spans two or more availability zones: one public subnet per zone, first zones in name order", async () => {
    const { zones } = await build(2);
    expect(zones).toEqual(["us-east-1a", "us-east-1b"]);
    const subnets = mocks.ofType("aws:ec2/subnet:Subnet");
    expect(subnets.map((s) => s.inputs.availabilityZone)).toEqual(["us-east-1a", "us-east-1b"]);
    expect(subnets.map((s) => s.inputs.cidrBlock)).toEqual(["10.0.0.0/20", "10.0.16.0/20"]);
    expect(subnets.every((s) => s.inputs.mapPublicIpOnLaunch === true)).toBe(true);

    await build(3);
    const three = mocks.ofType("aws:ec2/subnet:Subnet").map((s) => s.inputs.availabilityZone);
    expect(new Set(three).size).toBe(3);
  });

  it("asks only for available zones that need no opt-in (no Local or Wavelength Zones)", async () => {
    await build(2);
    const call = mocks.calls.find((c) => c.token === "aws:index/getAvailabilityZones:getAvailabilityZones");
    expect(call?.inputs.state).toBe("available");
    expect(call?.inputs.filters).toEqual([{ name: "opt-in-status", values: ["opt-in-not-required"] }]);
  });

  it("routes the public subnets to an internet gateway", async () => {
    await build(2);
    const igw = mocks.one("aws:ec2/internetGateway:InternetGateway");
    const table = mocks.one("aws:ec2/routeTable:RouteTable");
    const route = mocks.one("aws:ec2/route:Route");
    expect(route.inputs).toMatchObject({ destinationCidrBlock: "0.0.0.0/0", gatewayId: igw.id, routeTableId: table.id });
    const associations = mocks.ofType("aws:ec2/routeTableAssociation:RouteTableAssociation");
    const subnetIds = mocks.ofType("aws:ec2/subnet:Subnet").map((s) => s.id);
    expect(associations.map((a) => a.inputs.subnetId).sort()).toEqual([...subnetIds].sort());
    expect(associations.every((a) => a.inputs.routeTableId === table.id)).toBe(true);
  });

  it("tags every resource as owned by the cluster, with the user's tags", async () => {
    await build(2, { team: "platform", env: "dev" });
    for (const type of TAGGABLE) {
      for (const r of mocks.ofType(type)) {
        expect(r.inputs.tags).toMatchObject({ "kubernetes.io/cluster/demo": "owned", team: "platform", env: "dev" });
        expect(r.inputs.tags.Name).toMatch(/^demo-/);
      }
    }
    for (const subnet of mocks.ofType("aws:ec2/subnet:Subnet")) {
      expect(subnet.inputs.tags["kubernetes.io/role/elb"]).toBe("1");
    }
  });

  it("is a component that parents all its resources", async () => {
    await build(2);
    expect(mocks.one("platform:infra:Network").custom).toBe(false);
  });
});

describe("pickZones", () => {
  it("takes the first zones in name order", () => {
    expect(pickZones(["b", "c", "a"], 2, "r")).toEqual(["a", "b"]);
    expect(pickZones(TEST_AZS, 6, "us-east-1")).toEqual(TEST_AZS);
  });

  it("names the key, the count and the region's zones when the region has too few", () => {
    expect(() => pickZones(["eu-north-1a", "eu-north-1b"], 3, "eu-north-1")).toThrow(
      "availabilityZoneCount: got 3; allowed: at most 2, the number of available zones in eu-north-1 (eu-north-1a, eu-north-1b)",
    );
  });
});
