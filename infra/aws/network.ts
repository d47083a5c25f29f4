/**
 * The cluster's VPC: one public subnet per availability zone, an internet
 * gateway and a public route table. No NAT gateway (see design.md): nodes get
 * public addresses and reach package repositories and AWS APIs directly.
 */
import * as aws from "@pulumi/aws";
import * as pulumi from "@pulumi/pulumi";
import { resourceTags } from "./tags";
import { AVAILABLE_ZONES_QUERY } from "../config/lookups";

export interface NetworkArgs {
  readonly clusterName: string;
  readonly vpcCidr: string;
  /** Named in the error when the region has too few zones. */
  readonly region: string;
  /** One block per zone, in zone order (from `publicSubnetCidrs` in config/cluster.ts). */
  readonly publicSubnetCidrs: readonly string[];
  /** Extra tags for every resource. @default {} */
  readonly tags?: Readonly<Record<string, string>>;
}

/**
 * The first `count` zones of the region that are available and need no opt-in
 * (Local and Wavelength Zones are opt-in and lack most instance types). Throws
 * when the region has fewer, which stops `pulumi preview` before anything is created.
 */
export function pickZones(available: readonly string[], count: number, region: string): string[] {
  const zones = [...available].sort();
  if (zones.length < count) {
    throw new Error(
      `availabilityZoneCount: got ${count}; allowed: at most ${zones.length}, the number of available zones in ${region} (${zones.join(", ")})`,
    );
  }
  return zones.slice(0, count);
}

export class Network extends pulumi.ComponentResource {
  readonly vpcId: pulumi.Output<string>;
  readonly vpcCidr: string;
  readonly publicSubnetIds: pulumi.Output<string>[];
  readonly availabilityZones: pulumi.Output<string[]>;
  readonly publicRouteTableId: pulumi.Output<string>;
  /** Elastic IPs must wait for it: AWS refuses to associate one before the gateway is attached. */
  readonly internetGateway: aws.ec2.InternetGateway;

  constructor(name: string, args: NetworkArgs, opts?: pulumi.ComponentResourceOptions) {
    super("platform:infra:Network", name, {}, opts);
    const tags = (resource: string, extra?: Record<string, string>) =>
      resourceTags(args.clusterName, args.tags ?? {}, `${args.clusterName}-${resource}`, extra);

    const vpc = new aws.ec2.Vpc(
      `${name}-vpc`,
      { cidrBlock: args.vpcCidr, enableDnsHostnames: true, enableDnsSupport: true, tags: tags("vpc") },
      { parent: this },
    );

    const count = args.publicSubnetCidrs.length;
    // The same zones the configuration check counted before anything was declared.
    const zones = aws.getAvailabilityZonesOutput(AVAILABLE_ZONES_QUERY, { parent: this });
    this.availabilityZones = zones.names.apply((names) => pickZones(names, count, args.region));

    const igw = new aws.ec2.InternetGateway(`${name}-igw`, { vpcId: vpc.id, tags: tags("igw") }, { parent: this });

    const routeTable = new aws.ec2.RouteTable(
      `${name}-public`,
      { vpcId: vpc.id, tags: tags("public") },
      { parent: this },
    );
    // A separate Route (not an inline `routes` list) so that routes added by anything
    // else, such as the cloud controller manager's route controller, are not reverted.
    new aws.ec2.Route(
      `${name}-internet`,
      { routeTableId: routeTable.id, destinationCidrBlock: "0.0.0.0/0", gatewayId: igw.id },
      { parent: this },
    );

    this.publicSubnetIds = args.publicSubnetCidrs.map((cidrBlock, i) => {
      const subnet = new aws.ec2.Subnet(
        `${name}-public-${i}`,
        {
          vpcId: vpc.id,
          cidrBlock,
          availabilityZone: this.availabilityZones.apply((z) => z[i]),
          // Nodes reach the internet without a NAT gateway, so they need public addresses.
          mapPublicIpOnLaunch: true,
          tags: tags(`public-${i}`, { "kubernetes.io/role/elb": "1" }),
        },
        { parent: this },
      );
      new aws.ec2.RouteTableAssociation(
        `${name}-public-${i}`,
        { subnetId: subnet.id, routeTableId: routeTable.id },
        { parent: this },
      );
      return subnet.id;
    });

    this.vpcId = vpc.id;
    this.vpcCidr = args.vpcCidr;
    this.publicRouteTableId = routeTable.id;
    this.internetGateway = igw;
    this.registerOutputs({
      vpcId: this.vpcId,
      publicSubnetIds: this.publicSubnetIds,
      availabilityZones: this.availabilityZones,
    });
  }
}
