/**
 * The nodePools section of the stack configuration: defaults, and every bad input
 * rejected by parseConfig (which runs before any resource is declared) with a
 * message that names the pool and the key.
 */
import { ConfigError, Problem } from "../../../../lib/validate";
import { parseConfig } from "../../../../infra/config";
import {
  isSelfSettableLabel,
  NODE_POOL_DEFAULTS,
  qualifiedNameError,
} from "../../../../infra/config/node-pools";

const BASE = { clusterName: "demo", apiAllowedCidrs: JSON.stringify(["203.0.113.7/32"]) };

/** Stack config as Pulumi delivers it: scalars as strings, structures as JSON text. */
function raw(extra: Record<string, unknown>): Record<string, unknown> {
  const out: Record<string, unknown> = { ...BASE };
  for (const [k, v] of Object.entries(extra)) out[k] = typeof v === "string" ? v : JSON.stringify(v);
  return out;
}

function parse(extra: Record<string, unknown>) {
  return parseConfig(raw(extra), { region: "us-east-1" });
}

function problems(extra: Record<string, unknown>): Problem[] {
  try {
    parse(extra);
  } catch (e) {
    if (e instanceof ConfigError) return [...e.problems];
    throw e;
  }
  throw new Error(`expected a ConfigError for ${JSON.stringify(extra)}`);
}

/** The one problem recorded at `key`; fails when there is none. */
function problemAt(extra: Record<string, unknown>, key: string): Problem {
  const all = problems(extra);
  const found = all.find((p) => p.key === key);
  if (!found) throw new Error(`no problem at ${key}; got: ${all.map((p) => p.key).join(", ")}`);
  return found;
}

const pool = (over: Record<string, unknown> = {}) => ({ name: "general", minSize: 1, maxSize: 3, ...over });

describe("defaults", () => {
  it("declares one pool 'general' of 2 t3.medium workers, with 24 h tokens rotated every 6 h", () => {
    const c = parse({});
    expect(c.nodePools.nodePools).toHaveLength(1);
    const p = c.nodePools.nodePools[0];
    expect(p).toMatchObject({ name: "general", instanceTypes: ["t3.medium"], minSize: 2, desiredSize: 2, maxSize: 4, spot: false });
    expect(p.rootVolumeSizeGiB).toBe(c.cluster.rootVolumeSizeGiB);
    expect(c.nodePools.joinTokenTtlHours).toBe(24);
    expect(c.nodePools.joinTokenRotationHours).toBe(6);
    expect(c.nodePools.workerJoinTimeoutMinutes).toBe(NODE_POOL_DEFAULTS.workerJoinTimeoutMinutes);
  });

  it("reads pools, numbers given as strings, labels, taints and spot settings", () => {
    const c = parse({
      nodePools: [
        pool({ name: "general" }),
        pool({
          name: "gpu",
          instanceTypes: ["g5.xlarge", "g6.xlarge"],
          minSize: "0",
          desiredSize: "1",
          maxSize: "4",
          labels: { "example.com/accelerator": "nvidia", "node.kubernetes.io/pool": "gpu" },
          taints: [{ key: "nvidia.com/gpu", value: "present", effect: "NoSchedule" }, { key: "dedicated", effect: "NoExecute" }],
          spot: "true",
          onDemandBaseCapacity: 1,
          rootVolumeSizeGiB: 100,
        }),
      ],
      joinTokenTtlHours: "12",
      joinTokenRotationHours: "3",
      workerJoinTimeoutMinutes: "20",
    });
    const gpu = c.nodePools.nodePools[1];
    expect(gpu).toMatchObject({ name: "gpu", minSize: 0, desiredSize: 1, maxSize: 4, spot: true, onDemandBaseCapacity: 1, rootVolumeSizeGiB: 100 });
    expect(gpu.taints).toEqual([
      { key: "nvidia.com/gpu", value: "present", effect: "NoSchedule" },
      { key: "dedicated", value: "", effect: "NoExecute" },
    ]);
    expect(gpu.labels).toEqual({ "example.com/accelerator": "nvidia", "node.kubernetes.io/pool": "gpu" });
    expect(c.nodePools.nodePools[0].desiredSize).toBe(1); // defaults to minSize
    expect(c.nodePools).toMatchObject({ joinTokenTtlHours: 12, joinTokenRotationHours: 3, workerJoinTimeoutMinutes: 20 });
  });
});

describe("sizes", () => {
  it("rejects minSize above maxSize, naming pool and key", () => {
    const p = problemAt({ nodePools: [pool(), pool({ name: "gpu", minSize: 5, maxSize: 2 })] }, "nodePools[1](gpu).maxSize");
    expect(p.value).toBe(2);
    expect(p.allowed).toContain("at least minSize (5)");
  });

  it.each([
    ["below minSize", 0],
    ["above maxSize", 4],
  ])("rejects desiredSize %s", (_label, desiredSize) => {
    const p = problemAt({ nodePools: [pool({ minSize: 1, maxSize: 3, desiredSize })] }, "nodePools[0](general).desiredSize");
    expect(p.allowed).toBe("an integer from minSize (1) to maxSize (3)");
  });

  it("rejects negative, fractional and missing sizes", () => {
    expect(problemAt({ nodePools: [pool({ minSize: -1 })] }, "nodePools[0](general).minSize").value).toBe(-1);
    expect(problemAt({ nodePools: [pool({ maxSize: 2.5 })] }, "nodePools[0](general).maxSize").value).toBe(2.5);
    expect(problemAt({ nodePools: [{ name: "bare" }] }, "nodePools[0](bare).minSize").allowed).toContain("required");
    expect(problemAt({ nodePools: [{ name: "bare" }] }, "nodePools[0](bare).maxSize").allowed).toContain("required");
  });

  it("reports only the invalid size, not a made-up range problem from its fallback", () => {
    const all = problems({ nodePools: [pool({ minSize: 1, desiredSize: 3, maxSize: 5000 })] });
    expect(all.map((p) => p.key)).toEqual(["nodePools[0](general).maxSize"]);
  });

  it("rejects maxSize 0 and sizes above the ceiling", () => {
    problemAt({ nodePools: [pool({ minSize: 0, maxSize: 0 })] }, "nodePools[0](general).maxSize");
    problemAt({ nodePools: [pool({ maxSize: 5000 })] }, "nodePools[0](general).maxSize");
  });
});

describe("pool names and list", () => {
  it("rejects duplicate pool names, pointing at the first holder", () => {
    const p = problemAt({ nodePools: [pool({ name: "a" }), pool({ name: "b" }), pool({ name: "a" })] }, "nodePools[2](a).name");
    expect(p.allowed).toContain("nodePools[0](a)");
  });

  it.each([["GPU"], ["-x"], ["a_b"], ["x".repeat(25)]])("rejects the pool name %j", (name) => {
    expect(problems({ nodePools: [pool({ name })] }).some((p) => p.key.startsWith("nodePools[0]") && p.key.endsWith(".name"))).toBe(true);
  });

  it("rejects an empty list, a non-list and a non-object entry", () => {
    problemAt({ nodePools: [] }, "nodePools");
    problemAt({ nodePools: "general" }, "nodePools");
    problemAt({ nodePools: [pool(), 7] }, "nodePools[1]");
  });

  it("rejects unknown keys of a pool and of a taint (typos)", () => {
    problemAt({ nodePools: [pool({ maxsize: 3 })] }, "nodePools[0](general).maxsize");
    problemAt({ nodePools: [pool({ taints: [{ key: "a", effect: "NoSchedule", efect: "x" }] })] }, "nodePools[0](general).taints[0].efect");
  });
});

describe("labels", () => {
  const labelProblem = (key: string, value = "x") =>
    problemAt({ nodePools: [pool({ name: "gpu", labels: { [key]: value } })] }, `nodePools[0](gpu).labels["${key}"]`);

  it.each([
    ["a space", "bad key"],
    ["a leading dash", "-bad"],
    ["an upper-case prefix", "Example.com/x"],
    ["two slashes", "a/b/c"],
    ["an empty name", "example.com/"],
    ["a name of 64 characters", `example.com/${"n".repeat(64)}`],
    ["a prefix that is not a DNS subdomain", "exa_mple.com/x"],
  ])("rejects a key with %s", (_label, key) => {
    expect(labelProblem(key).allowed).toContain("Kubernetes label key");
  });

  it.each([["bad value"], ["-leading"], ["v".repeat(64)], ["trailing."]])("rejects the value %j", (value) => {
    expect(labelProblem("example.com/ok", value).allowed).toContain("label value");
  });

  it.each([["node-role.kubernetes.io/worker"], ["kubernetes.io/hostname"], ["topology.kubernetes.io/zone"], ["k8s.io/thing"], ["sub.k8s.io/thing"], ["node.kubernetes.io/instance-type"]])(
    "rejects %s, which the kubelet may not set on its own Node",
    (key) => {
      expect(labelProblem(key).allowed).toContain("NodeRestriction");
    },
  );

  it("accepts keys under node.kubernetes.io, kubelet.kubernetes.io and other prefixes, and empty values", () => {
    const c = parse({
      nodePools: [pool({ labels: { "node.kubernetes.io/pool": "a", "team.kubelet.kubernetes.io/x": "", "example.com/role": "web", plain: "yes" } })],
    });
    expect(Object.keys(c.nodePools.nodePools[0].labels)).toHaveLength(4);
  });

  it("rejects a key too long to become a cluster-autoscaler template tag", () => {
    expect(labelProblem(`${"p".repeat(40)}.example.com/${"n".repeat(40)}`).allowed).toContain("AWS tag");
  });

  it("rejects more labels and taints than the autoscaling group's tag budget", () => {
    const labels = Object.fromEntries(Array.from({ length: 45 }, (_, i) => [`example.com/l${i}`, "x"]));
    expect(problemAt({ nodePools: [pool({ labels })] }, "nodePools[0](general).labels").allowed).toContain("50 tags");
  });
});

describe("taints", () => {
  it("rejects an unknown effect, naming pool, taint and key", () => {
    const p = problemAt({ nodePools: [pool({ name: "gpu", taints: [{ key: "a", effect: "NoRun" }] })] }, "nodePools[0](gpu).taints[0].effect");
    expect(p.value).toBe("NoRun");
    expect(p.allowed).toBe("one of NoSchedule, PreferNoSchedule, NoExecute");
  });

  it("rejects a missing key or effect, an invalid key and an invalid value", () => {
    problemAt({ nodePools: [pool({ taints: [{ effect: "NoSchedule" }] })] }, "nodePools[0](general).taints[0].key");
    problemAt({ nodePools: [pool({ taints: [{ key: "a" }] })] }, "nodePools[0](general).taints[0].effect");
    problemAt({ nodePools: [pool({ taints: [{ key: "bad key", effect: "NoSchedule" }] })] }, "nodePools[0](general).taints[0].key");
    problemAt({ nodePools: [pool({ taints: [{ key: "a", value: "bad value", effect: "NoSchedule" }] })] }, "nodePools[0](general).taints[0].value");
  });

  it("rejects the same key twice (Kubernetes per key/effect, the autoscaler tag per key)", () => {
    problemAt(
      { nodePools: [pool({ taints: [{ key: "a", effect: "NoSchedule" }, { key: "a", effect: "NoSchedule" }] })] },
      "nodePools[0](general).taints[1].key",
    );
    problemAt(
      { nodePools: [pool({ taints: [{ key: "a", effect: "NoSchedule" }, { key: "a", effect: "NoExecute" }] })] },
      "nodePools[0](general).taints",
    );
  });
});

describe("instances", () => {
  it("rejects instance types of two architectures in one pool (one AMI per launch template)", () => {
    expect(problemAt({ nodePools: [pool({ instanceTypes: ["m7i.large", "m7g.large"] })] }, "nodePools[0](general).instanceTypes").allowed).toContain(
      "one CPU architecture",
    );
  });

  it("rejects malformed, too small and duplicate instance types", () => {
    problemAt({ nodePools: [pool({ instanceTypes: ["t3medium"] })] }, "nodePools[0](general).instanceTypes[0]");
    problemAt({ nodePools: [pool({ instanceTypes: ["t3.micro"] })] }, "nodePools[0](general).instanceTypes[0]");
    problemAt({ nodePools: [pool({ instanceTypes: ["t3.large", "t3.large"] })] }, "nodePools[0](general).instanceTypes");
    problemAt({ nodePools: [pool({ instanceTypes: [] })] }, "nodePools[0](general).instanceTypes");
  });

  it("rejects onDemandBaseCapacity without spot, or above maxSize", () => {
    problemAt({ nodePools: [pool({ onDemandBaseCapacity: 1 })] }, "nodePools[0](general).onDemandBaseCapacity");
    problemAt({ nodePools: [pool({ spot: true, onDemandBaseCapacity: 9, maxSize: 3 })] }, "nodePools[0](general).onDemandBaseCapacity");
  });

  it("rejects a bad AMI id, and an arm64 pool that would inherit the x86_64 control plane's AMI", () => {
    problemAt({ nodePools: [pool({ amiId: "ami-123" })] }, "nodePools[0](general).amiId");
    const p = problemAt({ amiId: "ami-0123456789abcdef0", nodePools: [pool({ instanceTypes: ["m7g.large"] })] }, "nodePools[0](general).amiId");
    expect(p.allowed).toContain("arm64");
  });

});

describe("join tokens", () => {
  it.each([
    [{ joinTokenTtlHours: 25 }, "joinTokenTtlHours"],
    [{ joinTokenTtlHours: 0 }, "joinTokenTtlHours"],
    [{ joinTokenRotationHours: 13 }, "joinTokenRotationHours"],
    [{ joinTokenTtlHours: 4, joinTokenRotationHours: 3 }, "joinTokenRotationHours"],
    [{ workerJoinTimeoutMinutes: 2 }, "workerJoinTimeoutMinutes"],
    [{ workerJoinTimeoutMinutes: 90 }, "workerJoinTimeoutMinutes"],
  ])("rejects %j at %s", (extra, key) => {
    problemAt(extra, key);
  });

  it("defaults the rotation below a short TTL instead of failing", () => {
    expect(parse({ joinTokenTtlHours: 4 }).nodePools.joinTokenRotationHours).toBe(2);
  });
});

describe("reporting", () => {
  it("reports every problem of every pool in one error", () => {
    const all = problems({
      nodePools: [pool({ name: "a", minSize: 4, maxSize: 2 }), pool({ name: "b", taints: [{ key: "x", effect: "Never" }] }), pool({ name: "a" })],
    });
    expect(all.map((p) => p.key).sort()).toEqual(["nodePools[0](a).maxSize", "nodePools[1](b).taints[0].effect", "nodePools[2](a).name"]);
  });

  it("says nothing was created", () => {
    expect(() => parse({ nodePools: [pool({ minSize: 4, maxSize: 2 })] })).toThrow(/nothing was created[\s\S]*nodePools\[0\]\(general\)\.maxSize: got 2/);
  });
});

describe("pure helpers", () => {
  it("qualifiedNameError accepts Kubernetes' own examples and rejects bad ones", () => {
    for (const ok of ["app", "app.kubernetes.io/name", "a-b_c.d", "example.com/X_y"]) expect(qualifiedNameError(ok)).toBeUndefined();
    for (const bad of ["", "/x", "a/", "_a", "a b", "a/b/c", "UPPER.com/x"]) expect(qualifiedNameError(bad)).toBeDefined();
  });

  it("isSelfSettableLabel follows the kubelet's rules", () => {
    expect(isSelfSettableLabel("node.kubernetes.io/x")).toBe(true);
    expect(isSelfSettableLabel("a.node.kubernetes.io/x")).toBe(true);
    expect(isSelfSettableLabel("kubelet.kubernetes.io/x")).toBe(true);
    expect(isSelfSettableLabel("example.com/x")).toBe(true);
    expect(isSelfSettableLabel("node-role.kubernetes.io/worker")).toBe(false);
    expect(isSelfSettableLabel("node-restriction.kubernetes.io/x")).toBe(false);
  });
});
