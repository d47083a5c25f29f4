/**
 * The `cluster` section of the stack configuration: naming, Kubernetes release,
 * network layout, control-plane sizing, who may reach the cluster, tags and etcd
 * backups. Pure (no Pulumi): `parseCluster` reads through a {@link Validator},
 * records every problem and returns defaults for bad values so one run reports
 * everything.
 */
import { MINOR_BOUND_IMAGES } from "../cluster/addons/versions";
import { KUBERNETES_VERSION, SUPPORTED_KUBERNETES_MINORS } from "../versions";
import { formatCidr, overlaps, parseCidr, subnet } from "../../lib/cidr";
import { Validator } from "../../lib/validate";

/**
 * Longest accepted cluster name. The name starts AWS names with tight limits:
 * the etcd bucket's `bucketPrefix` (37 characters, `<name>-etcd-`), IAM role
 * names (64, `<name>-control-plane` plus Pulumi's 8-character suffix) and any
 * load balancer or target group the platform names itself (32, `<name>-<role>`
 * plus the suffix). 20 leaves room in all of them.
 */
export const CLUSTER_NAME_MAX_LENGTH = 20;

/** AWS allows 50 tags per resource; the platform sets up to 4 of its own (Name, cluster, role, ...). */
export const MAX_USER_TAGS = 40;

export const DEFAULTS = {
  kubernetesVersion: KUBERNETES_VERSION,
  availabilityZoneCount: 2,
  vpcCidr: "10.0.0.0/16",
  subnetPrefixLength: 20,
  /** Calico's default IP pool. */
  podCidr: "192.168.0.0/16",
  /** kubeadm's default service subnet. */
  serviceCidr: "10.96.0.0/12",
  /** The seed design's `medium` size: 2 vCPUs and 4 GiB, above kubeadm's 2 CPU / 1700 MB floor. */
  controlPlaneInstanceType: "t3.medium",
  rootVolumeSizeGiB: 30,
  etcdBackupIntervalMinutes: 60,
  etcdBackupRetentionDays: 7,
} as const;

/** Stack configuration keys of this section (without the project prefix). */
export const CLUSTER_KEYS = [
  "clusterName",
  "kubernetesVersion",
  "availabilityZoneCount",
  "vpcCidr",
  "subnetPrefixLength",
  "podCidr",
  "serviceCidr",
  "controlPlaneInstanceType",
  "rootVolumeSizeGiB",
  "apiAllowedCidrs",
  "sshKeyName",
  "sshAllowedCidrs",
  "nodePortAllowedCidrs",
  "amiId",
  "tags",
  "etcdBackupIntervalMinutes",
  "etcdBackupRetentionDays",
  "apiServerCertSans",
] as const;

/** The region comes from the AWS provider's own setting, not from this project's namespace. */
export const REGION_KEY = "aws:region";

export interface ClusterConfig {
  /** DNS label; prefixes AWS names and forms the `kubernetes.io/cluster/<name>` tag. */
  readonly clusterName: string;
  /** Full release `x.y.z`; kubeadm, kubelet and kubectl are installed at exactly this version. */
  readonly kubernetesVersion: string;
  readonly region: string;
  readonly availabilityZoneCount: number;
  readonly vpcCidr: string;
  readonly subnetPrefixLength: number;
  /** One public subnet per availability zone, in zone order (computed, not configured). */
  readonly publicSubnetCidrs: readonly string[];
  readonly podCidr: string;
  readonly serviceCidr: string;
  readonly controlPlaneInstanceType: string;
  readonly rootVolumeSizeGiB: number;
  /** Who may reach the API server on 6443. Required: there is no default that opens the world. */
  readonly apiAllowedCidrs: readonly string[];
  /** EC2 key pair for SSH; unset means no key is installed. */
  readonly sshKeyName?: string;
  /** SSH (22) sources; empty (the default) means port 22 is closed. */
  readonly sshAllowedCidrs: readonly string[];
  /** NodePort (30000-32767) sources; empty means NodePorts are reachable only inside the cluster. */
  readonly nodePortAllowedCidrs: readonly string[];
  /** Fixed AMI; unset means the newest Ubuntu LTS AMI published by Canonical. */
  readonly amiId?: string;
  /** Extra tags for every AWS resource. */
  readonly tags: Readonly<Record<string, string>>;
  readonly etcdBackupIntervalMinutes: number;
  readonly etcdBackupRetentionDays: number;
  /**
   * Extra DNS names or IPv4 addresses for the API server certificate (e.g. a DNS record
   * pointing at the Elastic IP); the fixed private address and the Elastic IP are always in it.
   */
  readonly apiServerCertSans: readonly string[];
}

const CLUSTER_NAME = /[a-z]([a-z0-9-]*[a-z0-9])?/;
const VERSION = /(\d+)\.(\d+)\.(\d+)/;
const REGION = /[a-z]{2,4}(-[a-z]+)+-\d{1,2}/;
const INSTANCE_TYPE = /[a-z][a-z0-9-]*\.[a-z0-9-]+/;
/** Sizes below kubeadm's preflight floor (2 CPUs, 1700 MB) or too small to host the control plane. */
const TOO_SMALL_SIZES = ["nano", "micro", "small"];
const AMI_ID = /ami-([0-9a-f]{8}|[0-9a-f]{17})/;
/** A DNS name (no wildcard) or an IPv4 address, as control-plane-init.sh accepts it in certSANs. */
const CERT_SAN = /((25[0-5]|2[0-4]\d|1?\d?\d)\.){3}(25[0-5]|2[0-4]\d|1?\d?\d)|([a-z0-9]([a-z0-9-]{0,61}[a-z0-9])?\.)*[a-z0-9]([a-z0-9-]{0,61}[a-z0-9])?/;
const KEY_PAIR_NAME = /[\x20-\x7e]{1,255}/;
/** Characters AWS accepts in tag keys and values across services. */
const TAG_KEY = /[\p{L}\p{Z}\p{N}_.:/=+\-@]{1,128}/u;
const TAG_VALUE = /[\p{L}\p{Z}\p{N}_.:/=+\-@]{0,256}/u;
/** Tags the platform sets itself; a user value would silently fight them. */
const RESERVED_TAG_PREFIXES = ["aws:", "kubernetes.io/cluster/"];
const RESERVED_TAG_KEYS = ["Name", "kubernetes.io/role/elb", "kubernetes.io/role/internal-elb"];

/** The public subnet blocks: the first `count` blocks of `/prefixLength` inside the VPC. Pure. */
export function publicSubnetCidrs(vpcCidr: string, prefixLength: number, count: number): string[] {
  const vpc = parseCidr(vpcCidr);
  if (!vpc) throw new RangeError(`not a CIDR block: ${vpcCidr}`);
  return Array.from({ length: count }, (_, i) => formatCidr(subnet(vpc, prefixLength, i)));
}

export function parseCluster(v: Validator, region: string | undefined): ClusterConfig {
  const clusterName = v.requiredString("clusterName", {
    pattern: CLUSTER_NAME,
    maxLength: CLUSTER_NAME_MAX_LENGTH,
    allowed: `a DNS label: lowercase letters, digits and '-', starting with a letter, not ending with '-', at most ${CLUSTER_NAME_MAX_LENGTH} characters`,
  });

  const kubernetesVersion = parseKubernetesVersion(v);
  const checkedRegion = parseRegion(v, region);

  const availabilityZoneCount = v.number("availabilityZoneCount", DEFAULTS.availabilityZoneCount, { min: 2, max: 6 });
  const network = parseNetwork(v, availabilityZoneCount);

  const controlPlaneInstanceType = parseInstanceType(v, "controlPlaneInstanceType", DEFAULTS.controlPlaneInstanceType);
  // 20 GiB holds the OS, containerd images and etcd; gp3's ceiling is 16 TiB.
  const rootVolumeSizeGiB = v.number("rootVolumeSizeGiB", DEFAULTS.rootVolumeSizeGiB, { min: 20, max: 16384 });

  // No default: a silent 0.0.0.0/0 would publish the API server. Opening it to
  // the world stays possible, but only by writing 0.0.0.0/0 in the stack config.
  if (!v.has("apiAllowedCidrs")) {
    v.fail("apiAllowedCidrs", undefined, "a non-empty list of IPv4 CIDR blocks that may reach the API server, e.g. [\"203.0.113.7/32\"] (your own IP); there is no default");
  }
  const apiAllowedCidrs = v.has("apiAllowedCidrs") || v.isRecording ? v.cidrList("apiAllowedCidrs", [], 1) : [];
  const sshKeyName = v.string("sshKeyName", undefined, {
    pattern: KEY_PAIR_NAME,
    allowed: "the name of an existing EC2 key pair (1-255 printable ASCII characters)",
  });
  const sshAllowedCidrs = v.cidrList("sshAllowedCidrs", []);
  const nodePortAllowedCidrs = v.cidrList("nodePortAllowedCidrs", []);
  const amiId = v.string("amiId", undefined, {
    pattern: AMI_ID,
    allowed: "an AMI id such as ami-0123456789abcdef0 (ami- followed by 8 or 17 lowercase hex digits)",
  });

  const tags = parseTags(v);
  const etcdBackupIntervalMinutes = v.number("etcdBackupIntervalMinutes", DEFAULTS.etcdBackupIntervalMinutes, { min: 5, max: 1440 });
  const etcdBackupRetentionDays = v.number("etcdBackupRetentionDays", DEFAULTS.etcdBackupRetentionDays, { min: 1, max: 3650 });
  const apiServerCertSans = v.stringList("apiServerCertSans", [], {
    pattern: CERT_SAN,
    maxLength: 253,
    unique: true,
    allowed: "a lowercase DNS name such as api.example.com (no wildcard) or an IPv4 address",
  });

  return {
    clusterName,
    kubernetesVersion,
    region: checkedRegion,
    availabilityZoneCount,
    ...network,
    controlPlaneInstanceType,
    rootVolumeSizeGiB,
    apiAllowedCidrs,
    sshKeyName,
    sshAllowedCidrs,
    nodePortAllowedCidrs,
    amiId,
    tags,
    etcdBackupIntervalMinutes,
    etcdBackupRetentionDays,
    apiServerCertSans,
  };
}

function parseKubernetesVersion(v: Validator): string {
  const allowed = `a Kubernetes release x.y.z whose minor is supported upstream (${SUPPORTED_KUBERNETES_MINORS.join(", ")}), e.g. ${KUBERNETES_VERSION}`;
  const version = v.string("kubernetesVersion", DEFAULTS.kubernetesVersion, { pattern: VERSION, allowed });
  const minor = version.split(".").slice(0, 2).join(".");
  if (!(SUPPORTED_KUBERNETES_MINORS as readonly string[]).includes(minor)) {
    v.fail("kubernetesVersion", version, allowed);
    return DEFAULTS.kubernetesVersion;
  }
  // The cloud controller manager and cluster-autoscaler follow the cluster minor; a minor
  // without verified images would fail half-way through `pulumi up`, so it is refused here.
  const pinned = Object.keys(MINOR_BOUND_IMAGES);
  if (!pinned.includes(minor)) {
    v.fail(
      "kubernetesVersion",
      version,
      `a release of a minor whose cloud controller manager and cluster-autoscaler images are pinned (${pinned.join(", ")}); ` +
        `${minor} is supported upstream but has no verified images in MINOR_BOUND_IMAGES (infra/cluster/addons/versions.ts) yet`,
    );
    return DEFAULTS.kubernetesVersion;
  }
  return version;
}

function parseRegion(v: Validator, region: string | undefined): string {
  const allowed = "an AWS region such as us-east-1, set with `pulumi config set aws:region <region>`";
  if (region === undefined || region === "") {
    v.failAt(REGION_KEY, region, allowed);
    return "";
  }
  if (!new RegExp(`^(?:${REGION.source})$`).test(region)) {
    v.failAt(REGION_KEY, region, allowed);
    return "";
  }
  return region;
}

/** Shared with other sections (worker pools use the same rules). */
export function parseInstanceType(v: Validator, key: string, fallback: string): string {
  const allowed = "an EC2 instance type such as t3.medium with at least 2 vCPUs and 2 GiB (no nano, micro or small sizes)";
  const type = v.string(key, fallback, { pattern: INSTANCE_TYPE, allowed });
  const size = type.split(".")[1] ?? "";
  if (TOO_SMALL_SIZES.includes(size)) {
    v.fail(key, type, allowed);
    return fallback;
  }
  return type;
}

function parseNetwork(v: Validator, zoneCount: number) {
  const problemsBefore = v.problems.length;
  const vpcCidr = v.cidr("vpcCidr", DEFAULTS.vpcCidr);
  const vpc = parseCidr(vpcCidr) as NonNullable<ReturnType<typeof parseCidr>>;
  if (vpc.prefix < 16 || vpc.prefix > 24) {
    // AWS accepts /16 to /28 for a VPC; /24 is the smallest that leaves room for two subnets of usable size.
    v.fail("vpcCidr", vpcCidr, "an IPv4 CIDR block from /16 to /24 (AWS VPC limits), such as 10.0.0.0/16");
  }
  // Overlap checks against a VPC block that has to change anyway would only echo its problem.
  const vpcValid = v.problems.length === problemsBefore;

  const subnetPrefixLength = v.number("subnetPrefixLength", DEFAULTS.subnetPrefixLength, { min: 16, max: 28 });
  let subnets: string[] = [];
  const fits = subnetPrefixLength >= vpc.prefix && 2 ** (subnetPrefixLength - vpc.prefix) >= zoneCount;
  if (!fits) {
    const largest = vpc.prefix + Math.ceil(Math.log2(zoneCount));
    v.fail(
      "subnetPrefixLength",
      subnetPrefixLength,
      `a prefix length from ${Math.max(largest, 16)} to 28, so that ${zoneCount} subnets (one per availability zone) fit inside vpcCidr ${vpcCidr} without overlapping`,
    );
  } else {
    subnets = publicSubnetCidrs(vpcCidr, subnetPrefixLength, zoneCount);
  }

  const podCidr = v.cidr("podCidr", DEFAULTS.podCidr);
  const serviceCidr = v.cidr("serviceCidr", DEFAULTS.serviceCidr);
  const pod = parseCidr(podCidr) as NonNullable<ReturnType<typeof parseCidr>>;
  const service = parseCidr(serviceCidr) as NonNullable<ReturnType<typeof parseCidr>>;
  if (pod.prefix < 8 || pod.prefix > 20) {
    // Calico hands out /26 blocks per node; /20 still leaves 64 of them.
    v.fail("podCidr", podCidr, "an IPv4 CIDR block from /8 to /20, such as 192.168.0.0/16");
  } else if (vpcValid && overlaps(pod, vpc)) {
    v.fail("podCidr", podCidr, `a block that does not overlap vpcCidr ${vpcCidr}`);
  }
  if (service.prefix < 12 || service.prefix > 24) {
    // kube-apiserver refuses service ranges larger than 20 host bits.
    v.fail("serviceCidr", serviceCidr, "an IPv4 CIDR block from /12 to /24, such as 10.96.0.0/12");
  } else if (vpcValid && overlaps(service, vpc)) {
    v.fail("serviceCidr", serviceCidr, `a block that does not overlap vpcCidr ${vpcCidr}`);
  } else if (overlaps(service, pod)) {
    v.fail("serviceCidr", serviceCidr, `a block that does not overlap podCidr ${podCidr}`);
  }
  return { vpcCidr, subnetPrefixLength, publicSubnetCidrs: subnets, podCidr, serviceCidr };
}

function parseTags(v: Validator): Record<string, string> {
  const tags = v.stringMap("tags", {}, {
    key: { pattern: TAG_KEY, allowed: "1-128 characters: letters, digits, spaces and _ . : / = + - @" },
    value: { pattern: TAG_VALUE, allowed: "a string of 0-256 characters: letters, digits, spaces and _ . : / = + - @" },
  });
  for (const key of Object.keys(tags)) {
    const reserved =
      RESERVED_TAG_KEYS.includes(key) || RESERVED_TAG_PREFIXES.some((p) => key.toLowerCase().startsWith(p.toLowerCase()));
    if (reserved) {
      v.failAt(
        `${v.keyPath("tags")}["${key}"]`,
        key,
        `a tag key the platform does not set itself (not ${RESERVED_TAG_KEYS.join(", ")}, nor starting with ${RESERVED_TAG_PREFIXES.join(" or ")})`,
      );
      delete tags[key];
    }
  }
  if (Object.keys(tags).length > MAX_USER_TAGS) {
    v.fail("tags", `${Object.keys(tags).length} tags`, `at most ${MAX_USER_TAGS} tags (AWS allows 50 per resource and the platform sets some itself)`);
  }
  return tags;
}
