/**
 * The checks that need the account and the region: how many availability zones
 * the region offers, which instance types it offers, whether a fixed AMI exists
 * there and fits the instances. They run through Pulumi invokes (data sources,
 * not resources) before the program declares its first resource, in `pulumi
 * preview` as in `pulumi up --skip-preview`, and report like every other check:
 * the key as the user types it, the value, what is allowed.
 *
 * `lookupProblems` is pure apart from the {@link RegionLookups} it is given, so
 * tests answer the questions themselves and `npm run check-config` skips them.
 */
import * as aws from "@pulumi/aws";
import type { Problem } from "../../lib/validate";
import { instanceArchitecture } from "../nodes/ami";
import type { PlatformConfig } from "./index";

/** The zones the Network component chooses from: available and needing no opt-in (no Local or Wavelength Zones). */
export const AVAILABLE_ZONES_QUERY: aws.GetAvailabilityZonesArgs = {
  state: "available",
  filters: [{ name: "opt-in-status", values: ["opt-in-not-required"] }],
};

/** The questions the checks ask about the account and region. */
export interface RegionLookups {
  /** Names of the zones the cluster may use ({@link AVAILABLE_ZONES_QUERY}). */
  availabilityZones(): Promise<string[]>;
  /** Which of `types` the region offers. */
  offeredInstanceTypes(types: readonly string[]): Promise<string[]>;
  /** Offered types of the same family or the same size as `type`, to suggest one. */
  similarInstanceTypes(type: string): Promise<string[]>;
  /** The image's architecture (`x86_64`, `arm64`), or undefined when this account cannot use it in the region. */
  imageArchitecture(amiId: string): Promise<string | undefined>;
}

/** The lookups through the stack's default AWS provider (its region, its credentials). */
export function awsLookups(): RegionLookups {
  const offerings = async (values: string[]) =>
    (await aws.ec2.getInstanceTypeOfferings({ locationType: "region", filters: [{ name: "instance-type", values }] })).instanceTypes;
  return {
    availabilityZones: async () => (await aws.getAvailabilityZones(AVAILABLE_ZONES_QUERY)).names,
    offeredInstanceTypes: (types) => offerings([...types]),
    similarInstanceTypes: (type) => {
      const [family, size] = type.split(".");
      return offerings([`${family}.*`, `*.${size}`]);
    },
    imageArchitecture: async (amiId) => {
      try {
        return (await aws.ec2.getAmi({ filters: [{ name: "image-id", values: [amiId] }] })).architecture;
      } catch {
        // getAmi fails when the query matches nothing: the image is not visible here.
        return undefined;
      }
    },
  };
}

/** A pool's key path as the validator writes it (`nodePools[1](gpu)`). */
const poolKey = (i: number, name: string) => `nodePools[${i}]${name ? `(${name})` : ""}`;

/** Every configured instance type with the key it was set under. */
function configuredInstanceTypes(config: PlatformConfig): { key: string; type: string }[] {
  const out = [{ key: "controlPlaneInstanceType", type: config.cluster.controlPlaneInstanceType }];
  config.nodePools.nodePools.forEach((pool, i) =>
    pool.instanceTypes.forEach((type, j) => out.push({ key: `${poolKey(i, pool.name)}.instanceTypes[${j}]`, type })),
  );
  return out;
}

/** Every fixed AMI with the key it was set under and the instance type it must boot. */
function configuredImages(config: PlatformConfig): { key: string; amiId: string; type: string }[] {
  const c = config.cluster;
  const out = c.amiId ? [{ key: "amiId", amiId: c.amiId, type: c.controlPlaneInstanceType }] : [];
  config.nodePools.nodePools.forEach((pool, i) => {
    if (pool.amiId && pool.amiId !== c.amiId) out.push({ key: `${poolKey(i, pool.name)}.amiId`, amiId: pool.amiId, type: pool.instanceTypes[0] });
  });
  return out;
}

/** The closest of `candidates` to `wrong` (edit distance), if any is close. Pure. */
export function closest(wrong: string, candidates: readonly string[]): string | undefined {
  let best: string | undefined;
  let bestDistance = Math.max(3, Math.floor(wrong.length / 3)) + 1;
  for (const c of [...candidates].sort()) {
    const d = editDistance(wrong, c);
    if (d < bestDistance) [best, bestDistance] = [c, d];
  }
  return best;
}

function editDistance(a: string, b: string): number {
  let row = Array.from({ length: b.length + 1 }, (_, j) => j);
  for (let i = 1; i <= a.length; i++) {
    const next = [i];
    for (let j = 1; j <= b.length; j++) next[j] = Math.min(row[j] + 1, next[j - 1] + 1, row[j - 1] + (a[i - 1] === b[j - 1] ? 0 : 1));
    row = next;
  }
  return row[b.length];
}

/**
 * What the region says about the configuration: one problem per key. `config` is
 * the statically checked configuration; keys that already have a problem (or whose
 * value is a default standing in for a bad one) are not looked up again.
 */
export async function lookupProblems(config: PlatformConfig, lookups: RegionLookups, alreadyReported: ReadonlySet<string> = new Set()): Promise<Problem[]> {
  const region = config.cluster.region;
  const problems: Problem[] = [];

  const zones = await lookups.availabilityZones();
  const count = config.cluster.availabilityZoneCount;
  if (!alreadyReported.has("availabilityZoneCount") && zones.length < count) {
    problems.push({
      key: "availabilityZoneCount",
      value: count,
      allowed: `at most ${zones.length}, the number of available zones in ${region} that need no opt-in (${[...zones].sort().join(", ")})`,
    });
  }

  const types = configuredInstanceTypes(config).filter((t) => !alreadyReported.has(t.key));
  const offered = new Set(await lookups.offeredInstanceTypes([...new Set(types.map((t) => t.type))]));
  for (const { key, type } of types) {
    if (offered.has(type)) continue;
    const suggestion = closest(type, await lookups.similarInstanceTypes(type));
    problems.push({
      key,
      value: type,
      allowed: `an EC2 instance type offered in ${region}${suggestion ? ` (did you mean ${suggestion}?)` : ""}; \`aws ec2 describe-instance-type-offerings --region ${region}\` lists them`,
    });
  }

  for (const { key, amiId, type } of configuredImages(config).filter((i) => !alreadyReported.has(i.key))) {
    const arch = await lookups.imageArchitecture(amiId);
    const needed = instanceArchitecture(type);
    if (arch === undefined) {
      problems.push({ key, value: amiId, allowed: `an AMI that exists in ${region} and that this account may launch (or unset: the newest Ubuntu 24.04 LTS)` });
    } else if (arch !== needed) {
      problems.push({ key, value: amiId, allowed: `an AMI for ${needed}, the architecture of ${type} (this image is ${arch})` });
    }
  }
  return problems;
}
