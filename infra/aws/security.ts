/**
 * Security groups: one for the control plane, one for workers. Every node has
 * exactly one of them, and each carries `kubernetes.io/cluster/<name>=owned`: the
 * AWS cloud controller manager opens load-balancer traffic on the one tagged group
 * of each instance and refuses to choose when an instance has several.
 *
 * The rules are computed by the pure `securityRules` (tested directly) and
 * materialised as standalone `aws.vpc.SecurityGroupIngressRule`/`EgressRule`
 * resources, so rules the cloud controller manager adds are never reverted.
 * `revokeRulesOnDelete` empties each group before deleting it: rules that
 * reference another group (the two node groups, or a load balancer's group the
 * controller added) would otherwise block `pulumi destroy`.
 */
import * as aws from "@pulumi/aws";
import * as pulumi from "@pulumi/pulumi";
import { resourceTags } from "./tags";

export type NodeGroup = "controlPlane" | "worker";

export interface SecurityRule {
  /** Stable logical name: derived from the purpose and the source, not a list index. */
  readonly name: string;
  readonly group: NodeGroup;
  readonly direction: "ingress" | "egress";
  /** "tcp", "udp", "icmp" (ports are ICMP type and code) or "-1" (every protocol). */
  readonly protocol: "tcp" | "udp" | "icmp" | "-1";
  readonly fromPort?: number;
  readonly toPort?: number;
  /** Exactly one of `cidr` and `sourceGroup` is set. */
  readonly cidr?: string;
  readonly sourceGroup?: NodeGroup;
  readonly description: string;
}

export const API_PORT = 6443;

/**
 * What workers may open on the control plane, and why; nothing else (not etcd
 * 2379-2380, not the controller manager 10257 or scheduler 10259). Pod-to-pod traffic
 * travels between node addresses as VXLAN, so pods on the control plane (CoreDNS,
 * the add-on controllers) stay reachable through 4789.
 */
export const WORKER_TO_CONTROL_PLANE: readonly Omit<SecurityRule, "group" | "direction" | "sourceGroup" | "cidr">[] = [
  { name: "api", protocol: "tcp", fromPort: API_PORT, toPort: API_PORT, description: "Kubernetes API from worker kubelets and pods" },
  { name: "kubelet", protocol: "tcp", fromPort: 10250, toPort: 10250, description: "Kubelet API (metrics-server, Prometheus) from workers" },
  { name: "vxlan", protocol: "udp", fromPort: 4789, toPort: 4789, description: "Calico VXLAN: pod traffic from workers" },
  { name: "typha", protocol: "tcp", fromPort: 5473, toPort: 5473, description: "Calico Typha (host network, may run on the control plane) from calico-node" },
  { name: "node-exporter", protocol: "tcp", fromPort: 9100, toPort: 9100, description: "node-exporter (host network) scraped by Prometheus on workers" },
  { name: "pmtu", protocol: "icmp", fromPort: 3, toPort: 4, description: "ICMP fragmentation needed (path MTU discovery; VXLAN adds 50 bytes)" },
];
export const NODE_PORT_RANGE = { from: 30000, to: 32767 } as const;

export interface SecurityRuleInputs {
  readonly apiAllowedCidrs: readonly string[];
  readonly sshAllowedCidrs: readonly string[];
  readonly nodePortAllowedCidrs: readonly string[];
}

function cidrSlug(cidr: string): string {
  return cidr.replace(/[./]/g, "-");
}

/**
 * Every rule of both groups. Pure.
 *
 * Within a group, and from the control plane to workers, every protocol is allowed
 * ("-1": the API server calls kubelets and webhooks, Calico carries pod traffic).
 * Workers reach the control plane only on {@link WORKER_TO_CONTROL_PLANE}: a
 * compromised worker cannot talk to etcd or the controller manager. Sources are the
 * node groups, never a CIDR, so etcd and the kubelet are reachable from nodes only.
 */
export function securityRules(inputs: SecurityRuleInputs): SecurityRule[] {
  const rules: SecurityRule[] = [];
  const groups: NodeGroup[] = ["controlPlane", "worker"];
  for (const group of groups) {
    for (const source of groups) {
      if (group === "controlPlane" && source === "worker") {
        for (const r of WORKER_TO_CONTROL_PLANE) {
          rules.push({ ...r, name: `controlPlane-from-worker-${r.name}`, group, direction: "ingress", sourceGroup: source });
        }
        continue;
      }
      rules.push({
        name: `${group}-from-${source}`,
        group,
        direction: "ingress",
        protocol: "-1",
        sourceGroup: source,
        description: `All traffic from ${source} nodes (pod network incl. Calico IP-in-IP/VXLAN/BGP, kubelet, API)`,
      });
    }
    // Nodes have no NAT gateway and reach package repositories, image
    // registries and AWS APIs over the internet.
    rules.push({
      name: `${group}-egress-all`,
      group,
      direction: "egress",
      protocol: "-1",
      cidr: "0.0.0.0/0",
      description: "All outbound traffic (package repositories, registries, AWS APIs)",
    });
    for (const cidr of inputs.sshAllowedCidrs) {
      rules.push({
        name: `${group}-ssh-${cidrSlug(cidr)}`,
        group,
        direction: "ingress",
        protocol: "tcp",
        fromPort: 22,
        toPort: 22,
        cidr,
        description: `SSH from ${cidr} (sshAllowedCidrs)`,
      });
    }
  }
  for (const cidr of inputs.apiAllowedCidrs) {
    rules.push({
      name: `controlPlane-api-${cidrSlug(cidr)}`,
      group: "controlPlane",
      direction: "ingress",
      protocol: "tcp",
      fromPort: API_PORT,
      toPort: API_PORT,
      cidr,
      description: `Kubernetes API from ${cidr} (apiAllowedCidrs)`,
    });
  }
  for (const cidr of inputs.nodePortAllowedCidrs) {
    for (const protocol of ["tcp", "udp"] as const) {
      rules.push({
        name: `worker-nodeport-${protocol}-${cidrSlug(cidr)}`,
        group: "worker",
        direction: "ingress",
        protocol,
        fromPort: NODE_PORT_RANGE.from,
        toPort: NODE_PORT_RANGE.to,
        cidr,
        description: `NodePort services (${protocol.toUpperCase()}) from ${cidr} (nodePortAllowedCidrs)`,
      });
    }
  }
  return rules;
}

export interface SecurityArgs extends SecurityRuleInputs {
  readonly clusterName: string;
  readonly vpcId: pulumi.Input<string>;
  /** Extra tags for every resource. @default {} */
  readonly tags?: Readonly<Record<string, string>>;
}

export class SecurityGroups extends pulumi.ComponentResource {
  readonly controlPlaneSecurityGroupId: pulumi.Output<string>;
  readonly workerSecurityGroupId: pulumi.Output<string>;

  constructor(name: string, args: SecurityArgs, opts?: pulumi.ComponentResourceOptions) {
    super("platform:infra:SecurityGroups", name, {}, opts);
    const tags = (resource: string) => resourceTags(args.clusterName, args.tags ?? {}, `${args.clusterName}-${resource}`);

    const groups: Record<NodeGroup, aws.ec2.SecurityGroup> = {
      controlPlane: new aws.ec2.SecurityGroup(
        `${name}-control-plane`,
        { vpcId: args.vpcId, description: `Kubernetes control plane of ${args.clusterName}`, revokeRulesOnDelete: true, tags: tags("control-plane") },
        { parent: this },
      ),
      worker: new aws.ec2.SecurityGroup(
        `${name}-worker`,
        { vpcId: args.vpcId, description: `Kubernetes worker nodes of ${args.clusterName}`, revokeRulesOnDelete: true, tags: tags("worker") },
        { parent: this },
      ),
    };

    for (const rule of securityRules(args)) {
      const common = {
        securityGroupId: groups[rule.group].id,
        ipProtocol: rule.protocol,
        fromPort: rule.fromPort,
        toPort: rule.toPort,
        cidrIpv4: rule.cidr,
        referencedSecurityGroupId: rule.sourceGroup ? groups[rule.sourceGroup].id : undefined,
        description: rule.description,
        tags: tags(rule.name),
      };
      if (rule.direction === "ingress") {
        new aws.vpc.SecurityGroupIngressRule(`${name}-${rule.name}`, common, { parent: this });
      } else {
        new aws.vpc.SecurityGroupEgressRule(`${name}-${rule.name}`, common, { parent: this });
      }
    }

    this.controlPlaneSecurityGroupId = groups.controlPlane.id;
    this.workerSecurityGroupId = groups.worker.id;
    this.registerOutputs({
      controlPlaneSecurityGroupId: this.controlPlaneSecurityGroupId,
      workerSecurityGroupId: this.workerSecurityGroupId,
    });
  }
}
