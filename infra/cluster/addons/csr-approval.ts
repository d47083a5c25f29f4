/**
 * Which kubelet serving-certificate requests may be approved (kubeadm's
 * `serverTLSBootstrap`): the rules of the upstream kubelet-csr-approver, checked
 * against the EC2 instance behind the node rather than against what the node says
 * about itself. A kubelet may rewrite its own Node status (addresses included); it
 * cannot change the instance its `spec.providerID` names, nor that instance's
 * addresses in EC2. Pure: the approver gathers the facts, this decides.
 */
import { contains, parseCidr } from "../../../lib/cidr";

function cidrContains(cidr: string, ip: string): boolean {
  const outer = parseCidr(cidr);
  const inner = parseCidr(`${ip}/32`);
  return outer !== undefined && inner !== undefined && contains(outer, inner);
}

export const KUBELET_SERVING_SIGNER = "kubernetes.io/kubelet-serving";

/** The parts of a CertificateSigningRequest (spec and the parsed PKCS#10) the decision reads. */
export interface ServingCsr {
  readonly signerName: string;
  /** `spec.username`: who created the CSR (the API server sets it). */
  readonly username: string;
  readonly groups: readonly string[];
  readonly usages: readonly string[];
  /** From the request itself. */
  readonly commonName: string;
  readonly organizations: readonly string[];
  readonly dnsNames: readonly string[];
  readonly ipAddresses: readonly string[];
  readonly emailAddresses: readonly string[];
  readonly uris: readonly string[];
}

/** The EC2 instance `spec.providerID` of the node names (`aws:///<zone>/<instance-id>`), as EC2 describes it. */
export interface InstanceFacts {
  readonly instanceId: string;
  readonly privateDnsName: string;
  readonly privateIpAddresses: readonly string[];
  readonly publicIpAddress?: string;
  readonly publicDnsName?: string;
  /** Whether the instance carries `kubernetes.io/cluster/<cluster>=owned`. */
  readonly ownedByCluster: boolean;
}

export interface ApprovalPolicy {
  /** Node IPs must fall in these CIDRs (the VPC), besides matching the instance. */
  readonly allowedIpCidrs: readonly string[];
}

export type Decision = { readonly approve: true } | { readonly approve: false; readonly reason: string };

const SERVING_USAGES = new Set(["digital signature", "key encipherment", "server auth"]);

/**
 * Approve only if the CSR is a kubelet serving request of node `<name>` made by that
 * node, the node's instance (found by the approver through the node's providerID) is
 * this cluster's and is named `<name>` in EC2, and every SAN is one of that instance's
 * addresses or names. `instance` undefined: the node has no providerID yet, or EC2 does
 * not know it.
 */
export function decideServingCsr(csr: ServingCsr, instance: InstanceFacts | undefined, policy: ApprovalPolicy): Decision {
  const deny = (reason: string): Decision => ({ approve: false, reason });
  if (csr.signerName !== KUBELET_SERVING_SIGNER) return deny(`signer ${csr.signerName} is not ${KUBELET_SERVING_SIGNER}`);
  const prefix = "system:node:";
  if (!csr.username.startsWith(prefix)) return deny(`requested by ${csr.username}, not a node`);
  const nodeName = csr.username.slice(prefix.length);
  if (!csr.groups.includes("system:nodes")) return deny("requester is not in group system:nodes");
  if (csr.commonName !== csr.username) return deny(`common name ${csr.commonName} is not the requesting node ${csr.username}`);
  if (csr.organizations.length !== 1 || csr.organizations[0] !== "system:nodes") return deny("organization must be exactly system:nodes");
  if (!csr.usages.includes("server auth") || csr.usages.some((u) => !SERVING_USAGES.has(u))) {
    return deny(`usages ${csr.usages.join(", ")} are not those of a serving certificate`);
  }
  if (csr.emailAddresses.length > 0 || csr.uris.length > 0) return deny("e-mail and URI SANs are never part of a kubelet serving certificate");
  if (csr.dnsNames.length + csr.ipAddresses.length === 0) return deny("no subject alternative name");
  if (!instance) return deny(`no EC2 instance found for node ${nodeName}`);
  if (!instance.ownedByCluster) return deny(`instance ${instance.instanceId} is not tagged as this cluster's`);
  if (instance.privateDnsName !== nodeName) return deny(`node ${nodeName} claims instance ${instance.instanceId}, whose name is ${instance.privateDnsName}`);

  const names = new Set([instance.privateDnsName, ...(instance.publicDnsName ? [instance.publicDnsName] : [])]);
  const strangerName = csr.dnsNames.find((n) => !names.has(n));
  if (strangerName) return deny(`DNS name ${strangerName} is not a name of instance ${instance.instanceId}`);
  const ips = new Set([...instance.privateIpAddresses, ...(instance.publicIpAddress ? [instance.publicIpAddress] : [])]);
  const strangerIp = csr.ipAddresses.find((ip) => !ips.has(ip));
  if (strangerIp) return deny(`IP ${strangerIp} is not an address of instance ${instance.instanceId}`);
  const outside = csr.ipAddresses.find((ip) => ip !== instance.publicIpAddress && !policy.allowedIpCidrs.some((c) => cidrContains(c, ip)));
  if (outside) return deny(`IP ${outside} is outside ${policy.allowedIpCidrs.join(", ")}`);
  return { approve: true };
}
