/**
 * One architecture rule for the whole program: the AMI query, the pools' config
 * check and the node bootstrap all read infra/nodes/ami.ts.
 */
import { instanceArchitecture, ubuntuAmiQuery, ubuntuArchitecture } from "../../../../infra/nodes/ami";

describe("instance architecture", () => {
  it("is arm64 for Graviton families and x86_64 for the rest", () => {
    for (const t of ["t4g.medium", "m7g.large", "m6gd.xlarge", "c7gn.large", "a1.large", "r8g.large", "im4gn.large", "x2gd.large", "g5g.xlarge"]) {
      expect([t, instanceArchitecture(t)]).toEqual([t, "arm64"]);
    }
    for (const t of ["t3.medium", "m5.large", "g4dn.xlarge", "m7i-flex.large", "c6in.large", "g5.xlarge", "g6e.xlarge"]) {
      expect([t, instanceArchitecture(t)]).toEqual([t, "x86_64"]);
    }
  });

  it("names x86_64 amd64 where Ubuntu does", () => {
    expect(ubuntuArchitecture("x86_64")).toBe("amd64");
    expect(ubuntuArchitecture("arm64")).toBe("arm64");
  });

  it("queries the Ubuntu image of the instance's architecture, in both naming schemes", () => {
    const filters = ubuntuAmiQuery("t4g.medium").filters ?? [];
    expect(filters).toContainEqual({ name: "architecture", values: ["arm64"] });
    expect(filters).toContainEqual({ name: "name", values: ["ubuntu/images/hvm-ssd-gp3/ubuntu-noble-24.04-arm64-server-*"] });
    const x86 = ubuntuAmiQuery("m7i.large").filters ?? [];
    expect(x86).toContainEqual({ name: "architecture", values: ["x86_64"] });
    expect(x86).toContainEqual({ name: "name", values: ["ubuntu/images/hvm-ssd-gp3/ubuntu-noble-24.04-amd64-server-*"] });
  });
});
