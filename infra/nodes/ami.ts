/**
 * The one place that knows which CPU architecture an instance type has and which
 * Ubuntu image fits it. EC2 calls the architectures `x86_64` and `arm64`; Ubuntu's
 * image names and packages call the first `amd64`. Pure apart from the type of the
 * AMI query.
 */
import type * as aws from "@pulumi/aws";

/** An instance type's CPU architecture, in EC2's words. */
export type Architecture = "x86_64" | "arm64";

/** Canonical's AWS account, the publisher of the official Ubuntu AMIs. */
export const CANONICAL_OWNER_ID = "099720109477";

/** Graviton families: a1, or a `g` right after the generation digit (t4g, m7g, c7gn, r8gd, x2gd, im4gn, is4gen, hpc7g, g5g). */
const ARM64_FAMILY = /^(a1|[a-z]+\d+g[a-z0-9-]*)$/;

/** The CPU architecture of an instance type's family. */
export function instanceArchitecture(instanceType: string): Architecture {
  const family = instanceType.split(".")[0] ?? "";
  return ARM64_FAMILY.test(family) ? "arm64" : "x86_64";
}

/** The architecture as Ubuntu names it in image names and packages. */
export function ubuntuArchitecture(arch: Architecture): "amd64" | "arm64" {
  return arch === "arm64" ? "arm64" : "amd64";
}

/** The data-source query for the newest Ubuntu 24.04 LTS AMI that fits the instance type. */
export function ubuntuAmiQuery(instanceType: string): aws.ec2.GetAmiArgs {
  const arch = instanceArchitecture(instanceType);
  return {
    owners: [CANONICAL_OWNER_ID],
    mostRecent: true,
    filters: [
      { name: "name", values: [`ubuntu/images/hvm-ssd-gp3/ubuntu-noble-24.04-${ubuntuArchitecture(arch)}-server-*`] },
      { name: "architecture", values: [arch] },
      { name: "virtualization-type", values: ["hvm"] },
      { name: "root-device-type", values: ["ebs"] },
    ],
  };
}
