/**
 * The checks against the region, with the region's answers given directly: which
 * key each problem names, what is looked up when, and a lookup that fails.
 */
import { checkConfig } from "../../../../infra/config";
import { closest, RegionLookups } from "../../../../infra/config/lookups";
import { TEST_INSTANCE_TYPES, validStackConfig } from "../../support/pulumi-mocks";

function region(overrides: Partial<RegionLookups> = {}): RegionLookups & { asked: string[][] } {
  const asked: string[][] = [];
  return {
    asked,
    availabilityZones: async () => ["r-1a", "r-1b"],
    offeredInstanceTypes: async (types) => {
      asked.push([...types]);
      return types.filter((t) => TEST_INSTANCE_TYPES.includes(t));
    },
    similarInstanceTypes: async () => [...TEST_INSTANCE_TYPES],
    imageArchitecture: async () => "x86_64",
    ...overrides,
  };
}

describe("checks against the region", () => {
  it("asks about every configured type once, and not about one that already has a problem", async () => {
    const lookups = region();
    const raw = validStackConfig({
      controlPlaneInstanceType: "t3.micro",
      nodePools: [
        { name: "a", instanceTypes: ["m5.large", "m6i.large"], minSize: 1, maxSize: 2 },
        { name: "b", instanceTypes: ["m5.large"], minSize: 1, maxSize: 2 },
      ],
    });
    const report = await checkConfig(raw, { region: "eu-west-1", lookups });
    expect(report.problems.map((p) => p.key)).toEqual(["controlPlaneInstanceType"]);
    expect(lookups.asked).toEqual([["m5.large", "m6i.large"]]);
  });

  it("reports a failed lookup once, at the region, in the provider's words", async () => {
    const lookups = region({
      availabilityZones: async () => {
        throw new Error("operation error EC2: DescribeAvailabilityZones, AuthFailure: region not enabled");
      },
    });
    const report = await checkConfig(validStackConfig(), { region: "af-south-1", lookups });
    expect(report.problems).toEqual([
      { key: "aws:region", value: "af-south-1", allowed: expect.stringContaining("a region this account can use (asking it about zones and instance types failed: operation error EC2") },
    ]);
  });

  it("does not ask without a valid region, and says so", async () => {
    const lookups = region();
    const report = await checkConfig(validStackConfig(), { region: "nowhere", lookups });
    expect(report.problems.map((p) => p.key)).toEqual(["aws:region"]);
    expect(report.skipped).toEqual([expect.stringContaining("aws:region has a problem")]);
    expect(lookups.asked).toEqual([]);
  });

  it("suggests only a close offered type", () => {
    expect(closest("t3.meduim", TEST_INSTANCE_TYPES)).toBe("t3.medium");
    expect(closest("m5.larg", TEST_INSTANCE_TYPES)).toBe("m5.large");
    expect(closest("quantum.huge", TEST_INSTANCE_TYPES)).toBeUndefined();
  });
});
