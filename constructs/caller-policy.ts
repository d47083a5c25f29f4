import * as k8s from "cdk8s-plus-28/lib/imports/k8s";
import { Construct } from "constructs";
import { INGRESS_CONTROLLER_PODS, PlatformPods, PROMETHEUS_PODS } from "../lib/platform-pods";
import { assertDnsLabel, assertDnsSubdomain, assertIntegerInRange } from "./names";
import { validateLabels } from "./workload-props";

/** Where a connection may come from: a NetworkPolicy peer, built by the static factories. */
export class Peer {
  /** Pods of the called component's own namespace that carry all these labels. */
  static pods(labels: Readonly<Record<string, string>>): Peer {
    validateLabels("Peer.pods labels", labels);
    return new Peer(`pods ${labelText(labels)}`, { podSelector: { matchLabels: { ...labels } } });
  }

  /** Pods of another namespace that carry all these labels. */
  static podsIn(namespace: string, labels: Readonly<Record<string, string>>): Peer {
    assertDnsLabel("Peer.podsIn namespace", namespace);
    validateLabels("Peer.podsIn labels", labels);
    return new Peer(`pods ${labelText(labels)} of namespace ${namespace}`, {
      namespaceSelector: namespaceSelector(namespace),
      podSelector: { matchLabels: { ...labels } },
    });
  }

  /** Every pod of a namespace. */
  static namespace(namespace: string): Peer {
    assertDnsLabel("Peer.namespace", namespace);
    return new Peer(`every pod of namespace ${namespace}`, { namespaceSelector: namespaceSelector(namespace) });
  }

  /** The platform's F5 NGINX Ingress Controller (lib/platform-pods.ts). */
  static ingressController(): Peer {
    return Peer.platform("the ingress controller", INGRESS_CONTROLLER_PODS);
  }

  /** The platform's Prometheus server (lib/platform-pods.ts). */
  static prometheus(): Peer {
    return Peer.platform("Prometheus", PROMETHEUS_PODS);
  }

  /**
   * Any address, in the cluster or outside it: for ports published on a node
   * port, where the source is a client or a node (after kube-proxy's SNAT), never
   * a pod the policy could name.
   */
  static anywhere(): Peer {
    return new Peer("anywhere", undefined);
  }

  private static platform(description: string, pods: PlatformPods): Peer {
    return new Peer(description, { namespaceSelector: namespaceSelector(pods.namespace), podSelector: { matchLabels: { ...pods.labels } } });
  }

  private constructor(
    /** What the peer is, for error messages and reviews. */
    readonly description: string,
    private readonly kube: k8s.NetworkPolicyPeer | undefined,
  ) {}

  /** The `from` entries of a rule; undefined admits every source. @internal */
  _toKube(): k8s.NetworkPolicyPeer[] | undefined {
    return this.kube === undefined ? undefined : [structuredClone(this.kube)];
  }
}

/**
 * Ports of the called pods a caller may connect to: container ports (what the
 * pod listens on, not a Service's port), or `"all"` for servers that listen on
 * ports chosen at run time (Dask workers).
 */
export type CallerPorts = readonly number[] | "all";

/** One caller of a component: who, and on which of its pods' ports. */
export interface Caller {
  readonly peer: Peer;
  readonly ports: CallerPorts;
}

/** Props of {@link CallerPolicy}. */
export interface CallerPolicyProps {
  /** Name of the NetworkPolicy. */
  readonly name: string;
  /**
   * Namespace of the policy and of the pods it protects.
   * @default - the chart's namespace
   */
  readonly namespace?: string;
  /** Labels of the pods the policy selects (the called component's). */
  readonly podSelector: Readonly<Record<string, string>>;
  /** Who may connect; an empty list admits nobody beyond what other policies admit. */
  readonly callers: readonly Caller[];
  /**
   * Labels of the policy object.
   * @default - none
   */
  readonly labels?: Record<string, string>;
}

/**
 * The NetworkPolicy that admits a component's callers: it selects the
 * component's pods and allows each caller on its ports. Every application
 * namespace denies all other ingress (AppNamespace), so the pods take
 * connections from these callers only (and from their own node: the kubelet's
 * probes, which NetworkPolicy never filters). Policies add up, so other
 * constructs (TlsIngress, NodePortService) admit their own sources with a policy
 * of their own.
 */
export class CallerPolicy extends Construct {
  readonly policy: k8s.KubeNetworkPolicy;
  private readonly what: string;
  private readonly rules: k8s.NetworkPolicyIngressRule[] = [];

  constructor(scope: Construct, id: string, props: CallerPolicyProps) {
    super(scope, id);
    assertDnsSubdomain("CallerPolicy name", props.name);
    this.what = `CallerPolicy ${props.name}`;
    if (props.namespace !== undefined) assertDnsLabel(`${this.what}: namespace`, props.namespace);
    validateLabels(`${this.what}: podSelector`, props.podSelector);
    if (props.callers === undefined) {
      throw new Error(`${this.what}: callers: got nothing; allowed: a list of callers (empty when nothing calls the pods)`);
    }
    this.policy = new k8s.KubeNetworkPolicy(this, "Resource", {
      metadata: { name: props.name, namespace: props.namespace, labels: props.labels },
      // The rules array is read when the chart is synthesized: callers allowed later are in it.
      spec: { podSelector: { matchLabels: { ...props.podSelector } }, policyTypes: ["Ingress"], ingress: this.rules },
    });
    this.allow(...props.callers);
  }

  /** Admits more callers. */
  allow(...callers: Caller[]): void {
    for (const caller of callers) {
      if (!(caller?.peer instanceof Peer)) {
        throw new Error(`${this.what}: callers: got ${JSON.stringify(caller)}; allowed: { peer: Peer.pods(...) or another Peer factory, ports }`);
      }
      const what = `${this.what}: caller ${caller.peer.description}: ports`;
      if (caller.ports !== "all") {
        if (!Array.isArray(caller.ports) || caller.ports.length === 0) {
          throw new Error(`${what}: got ${JSON.stringify(caller.ports)}; allowed: at least one port, or "all"`);
        }
        for (const port of caller.ports) assertIntegerInRange(what, port, 1, 65535);
      }
      this.rules.push({
        from: caller.peer._toKube(),
        ports: caller.ports === "all" ? undefined : [...new Set(caller.ports)].map((port) => ({ protocol: "TCP", port: k8s.IntOrString.fromNumber(port) })),
      });
    }
  }
}

function namespaceSelector(namespace: string): k8s.LabelSelector {
  // The API server sets this label on every namespace (immutable, equal to the name).
  return { matchLabels: { "kubernetes.io/metadata.name": namespace } };
}

function labelText(labels: Readonly<Record<string, string>>): string {
  return Object.entries(labels)
    .map(([k, v]) => `${k}=${v}`)
    .join(",");
}
