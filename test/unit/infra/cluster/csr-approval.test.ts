/** The serving-certificate approval rules, with requests that match their node's instance and ones that do not. */
import { decideServingCsr, InstanceFacts, ServingCsr } from "../../../../infra/cluster/addons/csr-approval";

const NODE = "ip-10-0-1-23.ec2.internal";
const instance: InstanceFacts = {
  instanceId: "i-0abc",
  privateDnsName: NODE,
  privateIpAddresses: ["10.0.1.23"],
  publicIpAddress: "203.0.113.7",
  publicDnsName: "ec2-203-0-113-7.compute-1.amazonaws.com",
  ownedByCluster: true,
};
const csr: ServingCsr = {
  signerName: "kubernetes.io/kubelet-serving",
  username: `system:node:${NODE}`,
  groups: ["system:nodes", "system:authenticated"],
  usages: ["digital signature", "server auth"],
  commonName: `system:node:${NODE}`,
  organizations: ["system:nodes"],
  dnsNames: [NODE],
  ipAddresses: ["10.0.1.23"],
  emailAddresses: [],
  uris: [],
};
const policy = { allowedIpCidrs: ["10.0.0.0/16"] };
/** `i` null: no instance found. */
const reason = (c: Partial<ServingCsr>, i: InstanceFacts | null = instance) => {
  const d = decideServingCsr({ ...csr, ...c }, i ?? undefined, policy);
  return d.approve ? "approved" : d.reason;
};

describe("kubelet serving CSR approval", () => {
  it("approves a node asking for its own name and addresses", () => {
    expect(reason({})).toBe("approved");
    expect(reason({ ipAddresses: ["10.0.1.23", "203.0.113.7"], dnsNames: [NODE, instance.publicDnsName!] })).toBe("approved");
  });

  it("denies a node asking for another node's name", () => {
    expect(reason({ dnsNames: ["ip-10-0-1-99.ec2.internal"] })).toMatch(/not a name of instance i-0abc/);
  });

  it("denies a node asking for an address its instance does not have", () => {
    expect(reason({ ipAddresses: ["10.0.1.99"] })).toMatch(/IP 10.0.1.99 is not an address/);
    expect(reason({ ipAddresses: ["127.0.0.1"] })).toMatch(/not an address/);
  });

  it("denies a node whose name is not its instance's (a kubelet claiming another identity)", () => {
    const other = `ip-10-0-1-99.ec2.internal`;
    expect(reason({ username: `system:node:${other}`, commonName: `system:node:${other}`, dnsNames: [other] })).toMatch(/claims instance i-0abc/);
  });

  it("denies requests that are not a node's own serving request", () => {
    expect(reason({ signerName: "kubernetes.io/kube-apiserver-client-kubelet" })).toMatch(/signer/);
    expect(reason({ username: "system:serviceaccount:kube-system:default" })).toMatch(/not a node/);
    expect(reason({ groups: ["system:authenticated"] })).toMatch(/system:nodes/);
    expect(reason({ commonName: "system:node:someone-else" })).toMatch(/common name/);
    expect(reason({ usages: ["digital signature", "client auth"] })).toMatch(/usages/);
    expect(reason({ uris: ["spiffe://x"] })).toMatch(/URI/);
    expect(reason({ dnsNames: [], ipAddresses: [] })).toMatch(/no subject alternative name/);
  });

  it("denies when the instance is unknown or not this cluster's, or the IP is outside the VPC", () => {
    expect(reason({}, null)).toMatch(/no EC2 instance/);
    expect(reason({}, { ...instance, ownedByCluster: false })).toMatch(/not tagged/);
    expect(decideServingCsr(csr, instance, { allowedIpCidrs: ["10.1.0.0/16"] })).toEqual({ approve: false, reason: expect.stringMatching(/outside 10.1.0.0\/16/) });
  });
});
