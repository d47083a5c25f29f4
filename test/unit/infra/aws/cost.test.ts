/**
 * The monthly cost estimate behind README "Deploying for real": the default dev
 * stack's instance types from its config, against EKS of the same size.
 */
import * as fs from "node:fs";
import * as path from "node:path";
import { parse } from "yaml";
import { parseConfig } from "../../../../infra/config";
import { costTableMarkdown, estimateMonthlyCost, PRICES } from "../../../../infra/aws/cost";

/** Pulumi.dev.yaml as the program reads it (project keys without prefix, aws:region apart). */
function devStackConfig() {
  const doc = parse(fs.readFileSync(path.join(__dirname, "../../../../Pulumi.dev.yaml"), "utf8")) as { config: Record<string, unknown> };
  const raw: Record<string, unknown> = {};
  for (const [k, v] of Object.entries(doc.config)) if (k.startsWith("kubeadm-aws-platform:")) raw[k.slice("kubeadm-aws-platform:".length)] = v;
  return parseConfig(raw, { region: doc.config["aws:region"] as string });
}

describe("estimateMonthlyCost", () => {
  it("prices the default dev stack (eu-west-1, t3.medium control plane and 2 t3.medium workers) against EKS", () => {
    const e = estimateMonthlyCost(devStackConfig());
    expect(e.region).toBe("eu-west-1");
    // By hand, 730 h/month: t3.medium 0.0456 $/h = 33.29; 30 GiB gp3 at 0.088 = 2.64;
    // public IPv4 0.005 $/h = 3.65; NLB 0.0252 $/h = 18.40; EKS 0.10 $/h = 73.00.
    const self = Object.fromEntries(e.selfManaged.map((l) => [l.item, l.monthly]));
    expect(self["control plane: t3.medium"]).toBe(33.29);
    expect(self["worker pool general: t3.medium"]).toBe(66.58);
    expect(self["ingress Network Load Balancer (hours, no LCUs)"]).toBe(18.4);
    expect(e.selfManagedTotal).toBe(137.14);
    expect(e.eksTotal).toBe(170.56);
    // Same workers, volumes and load balancer on both sides; only the control plane differs.
    expect(e.eks.slice(1)).toEqual(e.selfManaged.slice(3));
    expect(e.eks[0]).toEqual({ item: "EKS control plane fee ($0.10/h)", quantity: 1, monthly: 73 });
  });

  it("follows the configured sizes", () => {
    const base = devStackConfig();
    const bigger = {
      ...base,
      cluster: { ...base.cluster, controlPlaneInstanceType: "t3.large" },
      nodePools: { ...base.nodePools, nodePools: [{ ...base.nodePools.nodePools[0], desiredSize: 3 }] },
    };
    const e = estimateMonthlyCost(bigger);
    expect(e.selfManaged[0]).toEqual({ item: "control plane: t3.large", quantity: 1, monthly: 66.58 });
    expect(e.selfManaged.find((l) => l.item === "worker pool general: t3.medium")?.quantity).toBe(3);
    expect(estimateMonthlyCost({ ...base, workloads: { enabled: false } }).selfManaged.some((l) => l.item.includes("Load Balancer"))).toBe(false);
  });

  it("says which price it does not know", () => {
    const base = devStackConfig();
    expect(() => estimateMonthlyCost({ ...base, cluster: { ...base.cluster, region: "ap-south-2" } })).toThrow(/no price table for region ap-south-2; known: eu-west-1, us-east-1/);
    expect(() => estimateMonthlyCost({ ...base, cluster: { ...base.cluster, controlPlaneInstanceType: "x9.huge" } })).toThrow(/no price for instance type x9.huge in eu-west-1/);
    expect(Object.keys(PRICES["eu-west-1"].instances)).toEqual(Object.keys(PRICES["us-east-1"].instances));
  });

  it("renders the README table with both totals", () => {
    const table = costTableMarkdown(estimateMonthlyCost(devStackConfig()));
    expect(table).toContain("| EKS control plane fee ($0.10/h) | – | $73.00 |");
    expect(table).toContain("| control plane: t3.medium | $33.29 | – |");
    expect(table).toContain("| **Total per month** | **$137.14** | **$170.56** |");
    // The README shows exactly this table.
    const readme = fs.readFileSync(path.join(__dirname, "../../../../README.md"), "utf8");
    expect(readme).toContain(table);
  });
});
