/**
 * A NetworkPolicy evaluator for tests (networking.k8s.io/v1 semantics): decides, from
 * the policies and the pods' labels, whether one pod may open a connection to another
 * pod's port or to an IP address. Covers podSelector, namespaceSelector (namespaces
 * carry `kubernetes.io/metadata.name`), ipBlock with except, ports by number, and the
 * isolation rule (a pod selected by any policy of a direction allows only what some
 * selecting policy allows). IPv4 only; named ports never match (errs towards denied).
 */

interface Selector {
  readonly matchLabels?: Record<string, string>;
  readonly matchExpressions?: { key: string; operator: "In" | "NotIn" | "Exists" | "DoesNotExist"; values?: string[] }[];
}
interface Peer {
  readonly podSelector?: Selector;
  readonly namespaceSelector?: Selector;
  readonly ipBlock?: { cidr: string; except?: string[] };
}
interface Rule {
  readonly ports?: { port?: number | string; protocol?: string }[];
}
export interface NetworkPolicy {
  readonly metadata: { readonly name: string; readonly namespace?: string };
  readonly spec: {
    readonly podSelector: Selector;
    readonly policyTypes?: ("Ingress" | "Egress")[];
    readonly ingress?: (Rule & { from?: Peer[] })[];
    readonly egress?: (Rule & { to?: Peer[] })[];
  };
}
export interface PodRef {
  readonly namespace: string;
  readonly labels: Readonly<Record<string, string>>;
  /** Pod IP, for ipBlock peers. @default "10.244.0.10" (inside no except of the platform) */
  readonly ip?: string;
}

export function selects(sel: Selector | undefined, labels: Readonly<Record<string, string>>): boolean {
  if (!sel) return false;
  const okLabels = Object.entries(sel.matchLabels ?? {}).every(([k, v]) => labels[k] === v);
  const okExpr = (sel.matchExpressions ?? []).every((e) => {
    const has = e.key in labels;
    if (e.operator === "Exists") return has;
    if (e.operator === "DoesNotExist") return !has;
    const inValues = has && (e.values ?? []).includes(labels[e.key]);
    return e.operator === "In" ? inValues : !inValues;
  });
  return okLabels && okExpr;
}

function ipToInt(ip: string): number {
  return ip.split(".").reduce((n, o) => ((n << 8) | Number(o)) >>> 0, 0);
}
function inCidr(ip: string, cidr: string): boolean {
  if (ip.includes(":") !== cidr.includes(":")) return false;
  const [base, bits] = cidr.split("/");
  const mask = Number(bits) === 0 ? 0 : (~0 << (32 - Number(bits))) >>> 0;
  return (ipToInt(ip) & mask) === (ipToInt(base) & mask);
}

/** Whether `peer` (of a policy in `policyNs`) matches a pod, or an address when `target` is a string. */
function peerMatches(peer: Peer, policyNs: string, target: PodRef | string): boolean {
  if (peer.ipBlock) {
    const ip = typeof target === "string" ? target : (target.ip ?? "10.244.0.10");
    return inCidr(ip, peer.ipBlock.cidr) && !(peer.ipBlock.except ?? []).some((c) => inCidr(ip, c));
  }
  if (typeof target === "string") return false;
  const nsOk = peer.namespaceSelector ? selects(peer.namespaceSelector, { "kubernetes.io/metadata.name": target.namespace }) : target.namespace === policyNs;
  const podOk = peer.podSelector ? selects(peer.podSelector, target.labels) : true;
  return nsOk && podOk;
}

const portMatches = (rule: Rule, port: number) => !rule.ports || rule.ports.length === 0 || rule.ports.some((p) => p.port === undefined || p.port === port);
const hasType = (p: NetworkPolicy, t: "Ingress" | "Egress") => (p.spec.policyTypes ?? (t === "Ingress" ? ["Ingress"] : p.spec.egress ? ["Egress"] : [])).includes(t);

function direction(policies: readonly NetworkPolicy[], pod: PodRef, type: "Ingress" | "Egress", other: PodRef | string, port: number): boolean {
  const mine = policies.filter((p) => (p.metadata.namespace ?? "default") === pod.namespace && hasType(p, type) && selects(p.spec.podSelector, pod.labels));
  if (mine.length === 0) return true;
  return mine.some((p) => {
    const rules = type === "Ingress" ? (p.spec.ingress ?? []).map((r) => ({ r, peers: r.from })) : (p.spec.egress ?? []).map((r) => ({ r, peers: r.to }));
    return rules.some(({ r, peers }) => portMatches(r, port) && (!peers || peers.length === 0 || peers.some((peer) => peerMatches(peer, pod.namespace, other))));
  });
}

/** Whether `from` may connect to `to` (a pod, or an IP address) on `port`. */
export function mayConnect(policies: readonly NetworkPolicy[], from: PodRef, to: PodRef | string, port: number): boolean {
  if (!direction(policies, from, "Egress", to, port)) return false;
  return typeof to === "string" || direction(policies, to, "Ingress", from, port);
}
