import * as kplus from "cdk8s-plus-28";
import { Construct } from "constructs";
import { assertDnsLabel, assertIntegerInRange } from "./names";

/** A port of a {@link HeadlessService}. */
export interface HeadlessServicePort {
  /** Port name; SRV records are published as `_<name>._tcp.<service>`. */
  readonly name: string;
  /** Port on the pods (a headless Service does no port translation). */
  readonly port: number;
}

/** Props of {@link HeadlessService}. */
export interface HeadlessServiceProps {
  /** Name of the Service (the DNS name clients resolve). */
  readonly name: string;
  /**
   * Namespace of the Service.
   * @default - the chart's namespace
   */
  readonly namespace?: string;
  /** Pod labels the Service selects. */
  readonly selector: Readonly<Record<string, string>>;
  /** Ports published in the SRV records. */
  readonly ports: readonly HeadlessServicePort[];
  /**
   * Publish pods before they are ready. Off, so that DNS only ever lists
   * pods that pass their readiness probe.
   * @default false
   */
  readonly publishNotReadyAddresses?: boolean;
  /**
   * Labels on the Service.
   * @default - none
   */
  readonly labels?: Record<string, string>;
}

/**
 * A Service without a cluster IP (`clusterIP: None`): the cluster DNS answers
 * its name with one A record per ready pod and one SRV record per pod and
 * named port, which lets clients (HAProxy's resolvers, a status script) find
 * and address every pod individually.
 */
export class HeadlessService extends Construct {
  readonly service: kplus.Service;

  constructor(scope: Construct, id: string, props: HeadlessServiceProps) {
    super(scope, id);
    assertDnsLabel("HeadlessService name", props.name);
    if (props.namespace !== undefined) assertDnsLabel(`HeadlessService ${props.name}: namespace`, props.namespace);
    if (props.ports.length === 0) throw new Error(`HeadlessService ${props.name}: ports: got none; allowed: at least one port`);
    if (Object.keys(props.selector).length === 0) {
      throw new Error(`HeadlessService ${props.name}: selector: got none; allowed: at least one pod label`);
    }
    for (const p of props.ports) {
      if (!/^[a-z]([-a-z0-9]{0,13}[a-z0-9])?$/.test(p.name)) {
        throw new Error(`HeadlessService ${props.name}: port name: got ${JSON.stringify(p.name)}; allowed: an IANA service name (lower-case, at most 15 characters)`);
      }
      assertIntegerInRange(`HeadlessService ${props.name}: port ${p.name}`, p.port, 1, 65535);
    }
    this.service = new kplus.Service(this, "Resource", {
      metadata: { name: props.name, namespace: props.namespace, labels: props.labels },
      type: kplus.ServiceType.CLUSTER_IP,
      clusterIP: "None",
      publishNotReadyAddresses: props.publishNotReadyAddresses ?? false,
      ports: props.ports.map((p) => ({ name: p.name, port: p.port, targetPort: p.port })),
    });
    for (const [key, value] of Object.entries(props.selector)) this.service.selectLabel(key, value);
  }
}
