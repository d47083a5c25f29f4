/**
 * The teardown cleanup against a fake AWS account that behaves like the real one
 * where it matters: deletions take a few polls to complete, a load balancer's
 * network interfaces outlive it, target groups cannot go while a load balancer
 * uses them, attached volumes cannot be deleted, security groups referenced by
 * other groups cannot be deleted.
 */
import { CleanupAws, cleanupCluster, CleanupTimeoutError, ClusterVolume, TaggedLoadBalancer } from "../../../../infra/cluster/teardown/cleanup";

interface FakeLb extends TaggedLoadBalancer {
  vpc: string;
  cluster: string;
  /** Polls until it disappears after deletion; undefined while not deleted. */
  goneIn?: number;
}
interface FakeVolume {
  id: string;
  cluster: string;
  state: string;
  attachedTo: string[];
  goneIn?: number;
  detachIn?: number;
}

class FakeAws implements CleanupAws {
  lbs: FakeLb[] = [];
  targetGroups_: { arn: string; vpc: string; cluster: string }[] = [];
  vols: FakeVolume[] = [];
  sgs: { id: string; vpc: string; cluster: string; referencedBy: string[] }[] = [];
  enis: { id: string; vpc: string; goneIn: number }[] = [];
  calls: string[] = [];
  /** Simulated time passing: each poll advances the pending operations. */
  tick(): void {
    for (const lb of this.lbs) if (lb.goneIn !== undefined) lb.goneIn--;
    this.lbs = this.lbs.filter((lb) => lb.goneIn === undefined || lb.goneIn > 0);
    for (const v of this.vols) {
      if (v.detachIn !== undefined && --v.detachIn <= 0) {
        v.state = "available";
        v.attachedTo = [];
        v.detachIn = undefined;
      }
      if (v.goneIn !== undefined && --v.goneIn <= 0) v.state = "deleted";
    }
    for (const e of this.enis) e.goneIn--;
    this.enis = this.enis.filter((e) => e.goneIn > 0);
  }
  async loadBalancers(cluster: string, vpc: string) {
    return this.lbs.filter((lb) => lb.cluster === cluster && lb.vpc === vpc).map(({ id, kind }) => ({ id, kind }));
  }
  async deleteLoadBalancer(lb: TaggedLoadBalancer) {
    this.calls.push(`deleteLoadBalancer ${lb.id}`);
    const found = this.lbs.find((l) => l.id === lb.id);
    if (found && found.goneIn === undefined) {
      found.goneIn = 2;
      this.enis.push({ id: `eni-${lb.id}`, vpc: found.vpc, goneIn: 4 });
    }
  }
  async targetGroups(cluster: string, vpc: string) {
    return this.targetGroups_.filter((t) => t.cluster === cluster && t.vpc === vpc).map((t) => t.arn);
  }
  async deleteTargetGroup(arn: string) {
    this.calls.push(`deleteTargetGroup ${arn}`);
    const tg = this.targetGroups_.find((t) => t.arn === arn);
    if (tg && this.lbs.some((lb) => lb.cluster === tg.cluster && lb.vpc === tg.vpc)) throw new Error(`ResourceInUse: ${arn} is used by a load balancer`);
    this.targetGroups_ = this.targetGroups_.filter((t) => t.arn !== arn);
  }
  async volumes(cluster: string): Promise<ClusterVolume[]> {
    return this.vols.filter((v) => v.cluster === cluster).map((v) => ({ id: v.id, state: v.state, attachedTo: [...v.attachedTo] }));
  }
  async detachVolume(id: string, instance: string) {
    this.calls.push(`detachVolume ${id} ${instance}`);
    const v = this.vols.find((x) => x.id === id);
    if (v) v.detachIn = 2;
  }
  async deleteVolume(id: string) {
    this.calls.push(`deleteVolume ${id}`);
    const v = this.vols.find((x) => x.id === id);
    if (!v) return;
    if (v.state === "in-use") throw new Error(`VolumeInUse: ${id}`);
    v.state = "deleting";
    v.goneIn = 2;
  }
  async loadBalancerSecurityGroups(cluster: string, vpc: string) {
    return this.sgs.filter((g) => g.cluster === cluster && g.vpc === vpc).map((g) => g.id);
  }
  async revokeReferencesTo(id: string) {
    this.calls.push(`revokeReferencesTo ${id}`);
    const g = this.sgs.find((x) => x.id === id);
    if (g) g.referencedBy = [];
  }
  async deleteSecurityGroup(id: string) {
    this.calls.push(`deleteSecurityGroup ${id}`);
    const g = this.sgs.find((x) => x.id === id);
    if (g && g.referencedBy.length > 0) throw new Error(`DependencyViolation: ${id}`);
    if (this.enis.length > 0) throw new Error(`DependencyViolation: ${id} used by a network interface`);
    this.sgs = this.sgs.filter((x) => x.id !== id);
  }
  async loadBalancerInterfaces(vpc: string) {
    return this.enis.filter((e) => e.vpc === vpc).map((e) => e.id);
  }
}

/** A clock that advances only when the cleanup sleeps, and ticks the fake account. */
function clock(aws: FakeAws) {
  let t = 0;
  return {
    now: () => t,
    sleep: async (ms: number) => {
      t += Math.max(ms, 1);
      aws.tick();
    },
  };
}

const OPTS = { clusterName: "demo", vpcId: "vpc-1", graceMs: 30_000, timeoutMs: 600_000, pollMs: 10_000 };

describe("cleanupCluster", () => {
  it("lets the controllers finish during the grace period and then deletes nothing itself", async () => {
    const aws = new FakeAws();
    aws.lbs.push({ id: "arn:lb/net/a", kind: "v2", vpc: "vpc-1", cluster: "demo", goneIn: 2 });
    aws.vols.push({ id: "vol-1", cluster: "demo", state: "deleting", attachedTo: [], goneIn: 2 });
    const report = await cleanupCluster(aws, { ...OPTS, ...clock(aws) });
    expect(report).toEqual({ deletedLoadBalancers: [], deletedTargetGroups: [], deletedVolumes: [], deletedSecurityGroups: [] });
    expect(aws.calls).toEqual([]);
  });

  it("deletes leftovers of this cluster in the right order and waits until AWS reports them gone", async () => {
    const aws = new FakeAws();
    aws.lbs.push(
      { id: "arn:lb/net/mine", kind: "v2", vpc: "vpc-1", cluster: "demo" },
      { id: "classic-mine", kind: "classic", vpc: "vpc-1", cluster: "demo" },
      { id: "arn:lb/net/other-cluster", kind: "v2", vpc: "vpc-1", cluster: "prod" },
      { id: "arn:lb/net/other-vpc", kind: "v2", vpc: "vpc-2", cluster: "demo" },
    );
    aws.targetGroups_.push({ arn: "arn:tg/mine", vpc: "vpc-1", cluster: "demo" }, { arn: "arn:tg/prod", vpc: "vpc-1", cluster: "prod" });
    aws.vols.push(
      { id: "vol-attached", cluster: "demo", state: "in-use", attachedTo: ["i-1"] },
      { id: "vol-free", cluster: "demo", state: "available", attachedTo: [] },
      { id: "vol-prod", cluster: "prod", state: "available", attachedTo: [] },
    );
    aws.sgs.push({ id: "sg-elb", vpc: "vpc-1", cluster: "demo", referencedBy: ["sg-nodes"] });
    const c = clock(aws);
    const report = await cleanupCluster(aws, { ...OPTS, ...c });

    expect(report.deletedLoadBalancers.sort()).toEqual(["arn:lb/net/mine", "classic-mine"]);
    expect(report.deletedTargetGroups).toEqual(["arn:tg/mine"]);
    expect(report.deletedVolumes.sort()).toEqual(["vol-attached", "vol-free"]);
    expect(report.deletedSecurityGroups).toEqual(["sg-elb"]);
    // Gone, as AWS reports it, when the cleanup returns; other clusters' objects untouched.
    expect(aws.lbs.map((l) => l.id).sort()).toEqual(["arn:lb/net/other-cluster", "arn:lb/net/other-vpc"]);
    expect(aws.targetGroups_.map((t) => t.arn)).toEqual(["arn:tg/prod"]);
    expect(aws.vols.filter((v) => v.state !== "deleted").map((v) => v.id)).toEqual(["vol-prod"]);
    expect(aws.enis).toEqual([]);
    expect(aws.sgs).toEqual([]);
    // It waited the grace period before deleting anything itself.
    const firstDelete = aws.calls.findIndex((x) => x.startsWith("delete"));
    expect(firstDelete).toBe(0);
    expect(aws.calls.indexOf("detachVolume vol-attached i-1")).toBeLessThan(aws.calls.indexOf("deleteVolume vol-attached"));
    expect(aws.calls.indexOf("revokeReferencesTo sg-elb")).toBeLessThan(aws.calls.indexOf("deleteSecurityGroup sg-elb"));
  });

  it("stops with the IDs that are left when AWS does not let go in time", async () => {
    const aws = new FakeAws();
    aws.lbs.push({ id: "arn:lb/net/stuck", kind: "v2", vpc: "vpc-1", cluster: "demo" });
    aws.deleteLoadBalancer = async () => undefined; // e.g. deletion protection turned on by hand
    const c = clock(aws);
    await expect(cleanupCluster(aws, { ...OPTS, ...c, timeoutMs: 120_000 })).rejects.toThrow(CleanupTimeoutError);
    await expect(cleanupCluster(aws, { ...OPTS, ...c, timeoutMs: 120_000 })).rejects.toThrow(/arn:lb\/net\/stuck.*pulumi destroy/s);
  });

  it("does nothing and returns at once for a cluster with nothing left", async () => {
    const aws = new FakeAws();
    const c = clock(aws);
    await cleanupCluster(aws, { ...OPTS, ...c });
    expect(c.now()).toBe(0);
    expect(aws.calls).toEqual([]);
  });
});
