import * as kplus from "cdk8s-plus-28";
import { Construct } from "constructs";
import { CallerPolicy, Peer } from "./caller-policy";
import { assertDnsLabel, assertIntegerInRange } from "./names";

/** Range the API server allocates node ports from (`--service-node-port-range` default). */
export const NODE_PORT_MIN = 30000;
export const NODE_PORT_MAX = 32767;

/** A port of a {@link NodePortService}. */
export interface NodePortServicePort {
  /** Port name. */
  readonly name: string;
  /** Port of the Service inside the cluster. */
  readonly port: number;
  /** Port on the pods. */
  readonly targetPort: number;
  /**
   * Port opened on every node. Fixed, so clients and firewall rules can rely on it.
   * @default - allocated by the API server
   */
  readonly nodePort?: number;
}

/** Props of {@link NodePortService}. */
export interface NodePortServiceProps {
  /** Name of the Service. */
  readonly name: string;
  /**
   * Namespace of the Service.
   * @default - the chart's namespace
   */
  readonly namespace?: string;
  /** Pod labels the Service selects. */
  readonly selector: Readonly<Record<string, string>>;
  /** Ports. */
  readonly ports: readonly NodePortServicePort[];
  /**
   * Labels on the Service.
   * @default - none
   */
  readonly labels?: Record<string, string>;
}

/**
 * A Service reachable from outside the cluster on a fixed port of every node
 * (the node security group must allow it), with a NetworkPolicy
 * (`<name>-node-port`) admitting any source to the pods' target ports: after
 * kube-proxy the source is the client or a node, never a pod a policy could name.
 */
export class NodePortService extends Construct {
  readonly service: kplus.Service;
  readonly callerPolicy: CallerPolicy;

  constructor(scope: Construct, id: string, props: NodePortServiceProps) {
    super(scope, id);
    assertDnsLabel("NodePortService name", props.name);
    if (props.namespace !== undefined) assertDnsLabel(`NodePortService ${props.name}: namespace`, props.namespace);
    if (props.ports.length === 0) throw new Error(`NodePortService ${props.name}: ports: got none; allowed: at least one port`);
    if (Object.keys(props.selector).length === 0) {
      throw new Error(`NodePortService ${props.name}: selector: got none; allowed: at least one pod label`);
    }
    for (const p of props.ports) {
      assertIntegerInRange(`NodePortService ${props.name}: port ${p.name}`, p.port, 1, 65535);
      assertIntegerInRange(`NodePortService ${props.name}: targetPort ${p.name}`, p.targetPort, 1, 65535);
      if (p.nodePort !== undefined) assertIntegerInRange(`NodePortService ${props.name}: nodePort ${p.name}`, p.nodePort, NODE_PORT_MIN, NODE_PORT_MAX);
    }
    this.service = new kplus.Service(this, "Resource", {
      metadata: { name: props.name, namespace: props.namespace, labels: props.labels },
      type: kplus.ServiceType.NODE_PORT,
      ports: props.ports.map((p) => ({ name: p.name, port: p.port, targetPort: p.targetPort, nodePort: p.nodePort })),
    });
    for (const [key, value] of Object.entries(props.selector)) this.service.selectLabel(key, value);
    this.callerPolicy = new CallerPolicy(this, "FromAnywhere", {
      name: `${props.name}-node-port`,
      namespace: props.namespace,
      podSelector: props.selector,
      labels: props.labels,
      callers: [{ peer: Peer.anywhere(), ports: props.ports.map((p) => p.targetPort) }],
    });
  }
}
