import { installPulumiMocks, RecordedResource } from "../../support/pulumi-mocks";

const mocks = installPulumiMocks();

import { NODE_PORT_RANGE, SecurityGroups, securityRules, SecurityRuleInputs } from "../../../../infra/aws/security";

const closed: SecurityRuleInputs = { apiAllowedCidrs: ["203.0.113.7/32"], sshAllowedCidrs: [], nodePortAllowedCidrs: [] };

/** Does an ingress rule open `port` (of `protocol`) to `cidr`-sourced traffic? */
function opens(rule: { protocol: string; fromPort?: number; toPort?: number }, port: number): boolean {
  if (rule.protocol === "-1") return true;
  return rule.fromPort !== undefined && rule.toPort !== undefined && rule.fromPort <= port && port <= rule.toPort;
}

describe("securityRules (pure)", () => {
  it("keeps SSH closed and the API limited to the configured CIDRs by default", () => {
    const rules = securityRules(closed);
    const fromCidrs = rules.filter((r) => r.direction === "ingress" && r.cidr !== undefined);
    expect(fromCidrs.filter((r) => opens(r, 22))).toEqual([]);
    expect(fromCidrs.filter((r) => opens(r, 6443)).map((r) => r.cidr)).toEqual(["203.0.113.7/32"]);
    expect(fromCidrs.some((r) => r.cidr === "0.0.0.0/0")).toBe(false);
  });

  it("never opens etcd, the kubelet or the controller/scheduler ports to a CIDR, even a wide configuration", () => {
    const wide = securityRules({ apiAllowedCidrs: ["0.0.0.0/0"], sshAllowedCidrs: ["0.0.0.0/0"], nodePortAllowedCidrs: ["0.0.0.0/0"] });
    const fromCidrs = wide.filter((r) => r.direction === "ingress" && r.cidr !== undefined);
    for (const port of [2379, 2380, 10250, 10257, 10259, 179, 4789]) {
      expect(fromCidrs.filter((r) => opens(r, port))).toEqual([]);
    }
  });

  it("lets nodes of a group, and the control plane to workers, use every protocol, by group, not by CIDR", () => {
    const rules = securityRules(closed).filter((r) => r.sourceGroup !== undefined && r.protocol === "-1");
    const pairs = rules.map((r) => `${r.sourceGroup}->${r.group}:${r.protocol}`).sort();
    expect(pairs).toEqual(["controlPlane->controlPlane:-1", "controlPlane->worker:-1", "worker->worker:-1"]);
    expect(securityRules(closed).filter((r) => r.sourceGroup !== undefined).every((r) => r.cidr === undefined)).toBe(true);
  });

  it("lets workers reach the control plane only on the API, kubelet, Calico and node-exporter ports, never etcd or the controllers", () => {
    const rules = securityRules(closed);
    const reaches = (rs: typeof rules, protocol: "tcp" | "udp", port: number) =>
      rs.some((r) => r.group === "controlPlane" && r.sourceGroup === "worker" && (r.protocol === protocol || r.protocol === "-1") && opens(r, port));
    for (const port of [6443, 10250, 5473, 9100]) expect(reaches(rules, "tcp", port)).toBe(true);
    expect(reaches(rules, "udp", 4789)).toBe(true);
    for (const port of [2379, 2380, 10257, 10259, 22]) expect(reaches(rules, "tcp", port)).toBe(false);
    // Break it: the all-protocol rule workers had before reaches etcd again, and the check says so.
    const widened = [...rules, { ...rules.find((r) => r.sourceGroup === "worker" && r.group === "controlPlane")!, protocol: "-1" as const }];
    expect(reaches(widened, "tcp", 2379)).toBe(true);
  });

  it("opens SSH on both groups only from the configured CIDRs", () => {
    const rules = securityRules({ ...closed, sshAllowedCidrs: ["198.51.100.0/24"] }).filter((r) => r.direction === "ingress" && r.cidr && opens(r, 22));
    expect(rules.map((r) => [r.group, r.cidr, r.protocol, r.fromPort, r.toPort])).toEqual([
      ["controlPlane", "198.51.100.0/24", "tcp", 22, 22],
      ["worker", "198.51.100.0/24", "tcp", 22, 22],
    ]);
  });

  it("opens 6443 to the world only when 0.0.0.0/0 is configured", () => {
    const rules = securityRules({ ...closed, apiAllowedCidrs: ["0.0.0.0/0"] }).filter((r) => r.direction === "ingress" && r.cidr && opens(r, 6443));
    expect(rules.map((r) => [r.group, r.cidr])).toEqual([["controlPlane", "0.0.0.0/0"]]);
  });

  it("opens the NodePort range (TCP and UDP) on workers only, only from the configured CIDRs", () => {
    expect(securityRules(closed).filter((r) => r.direction === "ingress" && r.cidr && opens(r, 30080))).toEqual([]);
    const rules = securityRules({ ...closed, nodePortAllowedCidrs: ["192.0.2.0/24"] }).filter((r) => r.cidr && r.direction === "ingress" && opens(r, 30080));
    expect(rules.map((r) => [r.group, r.protocol, r.fromPort, r.toPort, r.cidr])).toEqual([
      ["worker", "tcp", NODE_PORT_RANGE.from, NODE_PORT_RANGE.to, "192.0.2.0/24"],
      ["worker", "udp", NODE_PORT_RANGE.from, NODE_PORT_RANGE.to, "192.0.2.0/24"],
    ]);
  });

  it("names rules by purpose and source, so removing one CIDR does not rename the others", () => {
    const two = securityRules({ ...closed, apiAllowedCidrs: ["203.0.113.7/32", "198.51.100.0/24"] }).map((r) => r.name);
    const one = securityRules({ ...closed, apiAllowedCidrs: ["198.51.100.0/24"] }).map((r) => r.name);
    expect(two).toEqual(expect.arrayContaining(one));
    expect(new Set(two).size).toBe(two.length);
  });
});

describe("SecurityGroups component", () => {
  let groups: RecordedResource[];

  beforeAll(async () => {
    new SecurityGroups("demo", { clusterName: "demo", vpcId: "vpc-1", tags: { team: "platform" }, ...closed, sshAllowedCidrs: ["198.51.100.0/24"] });
    await mocks.settle();
    groups = mocks.ofType("aws:ec2/securityGroup:SecurityGroup");
  });

  it("creates one control-plane and one worker group in the VPC, each the single cluster-tagged group of its nodes", () => {
    expect(groups).toHaveLength(2);
    for (const g of groups) {
      expect(g.inputs.vpcId).toBe("vpc-1");
      expect(g.inputs.tags).toMatchObject({ "kubernetes.io/cluster/demo": "owned", team: "platform" });
      // Inline rules would fight the standalone rule resources (and the cloud controller manager's).
      expect(g.inputs.ingress ?? []).toEqual([]);
      expect(g.inputs.egress ?? []).toEqual([]);
      // Cross-group references must not block `pulumi destroy`.
      expect(g.inputs.revokeRulesOnDelete).toBe(true);
    }
    expect(groups.map((g) => g.inputs.tags.Name).sort()).toEqual(["demo-control-plane", "demo-worker"]);
  });

  it("materialises every rule as a standalone rule resource on the right group", () => {
    const byName = Object.fromEntries(groups.map((g) => [g.inputs.tags.Name, g.id]));
    const ingress = mocks.ofType("aws:vpc/securityGroupIngressRule:SecurityGroupIngressRule");
    const egress = mocks.ofType("aws:vpc/securityGroupEgressRule:SecurityGroupEgressRule");
    const expected = securityRules({ ...closed, sshAllowedCidrs: ["198.51.100.0/24"] });
    expect(ingress).toHaveLength(expected.filter((r) => r.direction === "ingress").length);
    expect(egress).toHaveLength(2);

    const api = ingress.filter((r) => r.inputs.fromPort === 6443 && r.inputs.cidrIpv4 !== undefined);
    expect(api.map((r) => [r.inputs.securityGroupId, r.inputs.cidrIpv4, r.inputs.ipProtocol])).toEqual([
      [byName["demo-control-plane"], "203.0.113.7/32", "tcp"],
    ]);
    const fromWorkers = ingress.filter((r) => r.inputs.referencedSecurityGroupId === byName["demo-worker"]);
    expect(fromWorkers.filter((r) => r.inputs.securityGroupId === byName["demo-worker"]).map((r) => r.inputs.ipProtocol)).toEqual(["-1"]);
    const toControlPlane = fromWorkers.filter((r) => r.inputs.securityGroupId === byName["demo-control-plane"]);
    expect(toControlPlane.map((r) => `${r.inputs.ipProtocol}/${r.inputs.fromPort}`).sort()).toEqual(["icmp/3", "tcp/10250", "tcp/5473", "tcp/6443", "tcp/9100", "udp/4789"]);
    expect(fromWorkers.every((r) => r.inputs.cidrIpv4 === undefined)).toBe(true);
    for (const r of ingress.filter((x) => x.inputs.cidrIpv4 !== undefined)) {
      expect([22, 6443]).toContain(r.inputs.fromPort);
    }
  });
});
