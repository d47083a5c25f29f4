import { Chart, Testing } from "cdk8s";
import { AppNamespace, PodSecurityLevel } from "../../../constructs/app-namespace";

const synth = (name: string, podSecurity?: PodSecurityLevel) => {
  const chart = new Chart(Testing.app(), "t");
  new AppNamespace(chart, "Ns", { name, podSecurity, labels: { team: "ml" } });
  return Testing.synth(chart);
};

describe("AppNamespace", () => {
  test("is cluster-scoped even in a chart that sets a namespace for its objects", () => {
    // Pulumi's ConfigGroup rejected `metadata.namespace` on a Namespace as a cycle
    // (found by the engine test, test/tools/pulumi-engine-cluster.test.ts).
    const chart = new Chart(Testing.app(), "t", { namespace: "monitoring" });
    new AppNamespace(chart, "Ns", { name: "monitoring" });
    const [ns] = Testing.synth(chart);
    expect(ns.kind).toBe("Namespace");
    expect(ns.metadata).not.toHaveProperty("namespace");
    expect(ns.metadata.name).toBe("monitoring");
  });

  test("enforces the restricted Pod Security Standard by default", () => {
    expect(synth("apps").filter((o) => o.kind === "Namespace")).toEqual([
      {
        apiVersion: "v1",
        kind: "Namespace",
        metadata: {
          name: "apps",
          labels: {
            team: "ml",
            "pod-security.kubernetes.io/enforce": "restricted",
            "pod-security.kubernetes.io/warn": "restricted",
            "pod-security.kubernetes.io/audit": "restricted",
          },
        },
        spec: {},
      },
    ]);
  });

  test("denies every pod all ingress by default (a component admits its callers with a policy of its own)", () => {
    const deny = synth("apps").filter((o) => o.kind === "NetworkPolicy" && o.metadata.name === "default-deny-ingress");
    expect(deny).toEqual([
      {
        apiVersion: "networking.k8s.io/v1",
        kind: "NetworkPolicy",
        metadata: { name: "default-deny-ingress", namespace: "apps" },
        spec: { podSelector: {}, policyTypes: ["Ingress"] },
      },
    ]);
    const chart = new Chart(Testing.app(), "t");
    new AppNamespace(chart, "Ns", { name: "apps", denyIngress: false });
    expect(Testing.synth(chart).map((o) => o.metadata.name)).toEqual(["apps", "deny-instance-metadata"]);
  });

  test("denies every pod egress to the instance metadata service, and nothing else", () => {
    const policies = synth("apps").filter((o) => o.kind === "NetworkPolicy" && o.metadata.name !== "default-deny-ingress");
    expect(policies).toEqual([
      {
        apiVersion: "networking.k8s.io/v1",
        kind: "NetworkPolicy",
        metadata: { name: "deny-instance-metadata", namespace: "apps" },
        spec: {
          podSelector: {},
          policyTypes: ["Egress"],
          egress: [
            {
              to: [
                { namespaceSelector: {} },
                { ipBlock: { cidr: "0.0.0.0/0", except: ["169.254.169.254/32"] } },
                { ipBlock: { cidr: "::/0", except: ["fd00:ec2::254/128"] } },
              ],
            },
          ],
        },
      },
    ]);
    const chart = new Chart(Testing.app(), "t");
    new AppNamespace(chart, "Ns", { name: "apps", denyInstanceMetadata: false, denyIngress: false });
    expect(Testing.synth(chart).map((o) => o.kind)).toEqual(["Namespace"]);
  });

  test("a lower level when asked", () => {
    expect(JSON.stringify(synth("apps", "baseline"))).toContain('"pod-security.kubernetes.io/enforce":"baseline"');
  });

  test("warns and audits at a stricter level than it enforces", () => {
    const chart = new Chart(Testing.app(), "t");
    new AppNamespace(chart, "Ns", { name: "monitoring", podSecurity: "privileged", podSecurityWarn: "restricted" });
    expect(Testing.synth(chart)[0].metadata.labels).toEqual({
      "pod-security.kubernetes.io/enforce": "privileged",
      "pod-security.kubernetes.io/warn": "restricted",
      "pod-security.kubernetes.io/audit": "restricted",
    });
  });

  test("rejects a warn level weaker than the enforced one", () => {
    const chart = new Chart(Testing.app(), "t");
    expect(() => new AppNamespace(chart, "Ns", { name: "apps", podSecurityWarn: "baseline" })).toThrow(
      /podSecurityWarn: got "baseline"; allowed: the enforced level \(restricted\) or a stricter one/,
    );
  });

  test("rejects bad names and levels", () => {
    expect(() => synth("Apps")).toThrow(/AppNamespace name: got "Apps"/);
    expect(() => synth("apps", "open" as PodSecurityLevel)).toThrow(/podSecurity: got "open"/);
  });
});
