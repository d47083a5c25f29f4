/**
 * The `nodePools` section of the stack configuration: the worker pools (one
 * launch template + autoscaling group each) and the bootstrap-token timings the
 * workers join with. Pure (no Pulumi): `parseNodePools` reads through a
 * {@link Validator}, records every problem and returns defaults for bad values.
 */
import { ClusterConfig, parseInstanceType } from "./cluster";
import { Problem, Validator } from "../../lib/validate";
import { Architecture, instanceArchitecture } from "../nodes/ami";

export const TAINT_EFFECTS = ["NoSchedule", "PreferNoSchedule", "NoExecute"] as const;
export type TaintEffect = (typeof TAINT_EFFECTS)[number];

export interface Taint {
  readonly key: string;
  /** May be empty: a taint without a value matches `operator: Exists` tolerations. */
  readonly value: string;
  readonly effect: TaintEffect;
}


export interface NodePoolConfig {
  /** DNS label; names the launch template and autoscaling group. */
  readonly name: string;
  /** The first type is the launch template's; more than one (or spot) uses a mixed instances policy. */
  readonly instanceTypes: readonly string[];
  /** Derived from the instance types (they must agree): picks the Ubuntu AMI. */
  readonly architecture: Architecture;
  readonly minSize: number;
  /** Initial size only: afterwards the cluster autoscaler owns it (see README, "Scaling a pool by hand"). */
  readonly desiredSize: number;
  readonly maxSize: number;
  /** Set by the kubelet at registration (`--node-labels`) and advertised to the cluster autoscaler. */
  readonly labels: Readonly<Record<string, string>>;
  /** Registered with the node (JoinConfiguration `nodeRegistration.taints`). */
  readonly taints: readonly Taint[];
  /** Spot instances above `onDemandBaseCapacity`. */
  readonly spot: boolean;
  /** With spot: how many instances stay on-demand whatever the group size. */
  readonly onDemandBaseCapacity: number;
  /** Fixed AMI; unset means the cluster `amiId`, or else the newest Ubuntu LTS AMI for the architecture. */
  readonly amiId?: string;
  readonly rootVolumeSizeGiB: number;
}

export interface NodePoolsConfig {
  readonly nodePools: readonly NodePoolConfig[];
  /** Lifetime of each bootstrap token the control plane writes to the join secret. */
  readonly joinTokenTtlHours: number;
  /** How often the control plane writes a fresh token; at most half the TTL. */
  readonly joinTokenRotationHours: number;
  /** How long a worker waits for a valid token before it gives up and powers off (and is replaced). */
  readonly workerJoinTimeoutMinutes: number;
}

/** Stack configuration keys of this section (without the project prefix). */
export const NODE_POOL_KEYS = ["nodePools", "joinTokenTtlHours", "joinTokenRotationHours", "workerJoinTimeoutMinutes"] as const;

const POOL_KEYS = [
  "name",
  "instanceTypes",
  "minSize",
  "desiredSize",
  "maxSize",
  "labels",
  "taints",
  "spot",
  "onDemandBaseCapacity",
  "amiId",
  "rootVolumeSizeGiB",
] as const;
const TAINT_KEYS = ["key", "value", "effect"] as const;

export const NODE_POOL_DEFAULTS = {
  /** The seed design's `medium` workers. */
  instanceType: "t3.medium",
  /** The seed's two workers; room to double before the autoscaler hits the ceiling. */
  pool: { name: "general", minSize: 2, desiredSize: 2, maxSize: 4 },
  /** kubeadm's own default TTL; bootstrap tokens should not live longer. */
  joinTokenTtlHours: 24,
  joinTokenRotationHours: 6,
  /** A control plane boots in 5-10 minutes; this leaves room for a slow `pulumi up`. */
  workerJoinTimeoutMinutes: 30,
} as const;

export const MAX_NODE_POOLS = 10;
export const MAX_WORKER_JOIN_TIMEOUT_MINUTES = 40;
/** A group holds at most this many instances; a typo such as 1000 should not reach AWS. */
export const MAX_POOL_SIZE = 200;
/** The mixed instances policy accepts at most 40 overrides; 20 is plenty for a pool. */
export const MAX_INSTANCE_TYPES = 20;
/** Name length keeps `<cluster>-<pool>` plus Pulumi's suffix well inside AWS name limits. */
export const POOL_NAME_MAX_LENGTH = 24;
/** AWS allows 50 tags on an autoscaling group. */
export const ASG_TAG_LIMIT = 50;
/** Tags every worker group carries besides the user's and the per-label/taint ones (see workers.ts). */
export const PLATFORM_ASG_TAG_COUNT = 6;

/** Prefixes of the cluster-autoscaler scale-from-zero template tags (AWS tag keys: at most 128 characters). */
export const CA_LABEL_TAG_PREFIX = "k8s.io/cluster-autoscaler/node-template/label/";
export const CA_TAINT_TAG_PREFIX = "k8s.io/cluster-autoscaler/node-template/taint/";
const AWS_TAG_KEY_MAX = 128;

const POOL_NAME = /[a-z]([a-z0-9-]*[a-z0-9])?/;
const POOL_NAME_RE = new RegExp(`^(?:${POOL_NAME.source})$`);
const AMI_ID = /ami-([0-9a-f]{8}|[0-9a-f]{17})/;
/** Kubernetes qualified-name "name" part and label values (k8s.io/apimachinery validation). */
const QUALIFIED_NAME_PART = /^([A-Za-z0-9][-A-Za-z0-9_.]*)?[A-Za-z0-9]$/;
const DNS1123_SUBDOMAIN = /^[a-z0-9]([-a-z0-9]*[a-z0-9])?(\.[a-z0-9]([-a-z0-9]*[a-z0-9])?)*$/;

const QUALIFIED_NAME_ALLOWED =
  "an optional DNS-subdomain prefix (lowercase, at most 253 characters) and '/', then a name of 1-63 characters: letters, digits, '-', '_' or '.', starting and ending with a letter or digit";
const LABEL_VALUE_ALLOWED =
  "empty, or 1-63 characters: letters, digits, '-', '_' or '.', starting and ending with a letter or digit";

/** Why a Kubernetes qualified name (label or taint key) is invalid, or undefined when it is valid. Pure. */
export function qualifiedNameError(key: string): string | undefined {
  const parts = key.split("/");
  if (parts.length > 2) return "at most one '/'";
  const [prefix, name] = parts.length === 2 ? parts : [undefined, parts[0]];
  if (prefix !== undefined && (prefix.length === 0 || prefix.length > 253 || !DNS1123_SUBDOMAIN.test(prefix))) {
    return "the prefix before '/' must be a DNS subdomain";
  }
  if (name.length === 0 || name.length > 63 || !QUALIFIED_NAME_PART.test(name)) {
    return "the name after the prefix must be 1-63 characters";
  }
  return undefined;
}

export function isValidLabelValue(value: string): boolean {
  return value === "" || (value.length <= 63 && QUALIFIED_NAME_PART.test(value));
}

/**
 * Whether the kubelet may set this label on its own Node. The kubelet refuses
 * to start with `--node-labels` in the kubernetes.io / k8s.io namespaces unless
 * they are under kubelet.kubernetes.io or node.kubernetes.io, and the
 * NodeRestriction admission plugin rejects them; the well-known ones it may set
 * (hostname, zone, instance type, os, arch) are set by the kubelet and the cloud
 * controller themselves, so a pool must not override them either.
 */
export function isSelfSettableLabel(key: string): boolean {
  const slash = key.indexOf("/");
  if (slash < 0) return true;
  const ns = key.slice(0, slash);
  const inNs = (domain: string) => ns === domain || ns.endsWith(`.${domain}`);
  if (!inNs("kubernetes.io") && !inNs("k8s.io")) return true;
  if (key === "node.kubernetes.io/instance-type") return false;
  return inNs("kubelet.kubernetes.io") || inNs("node.kubernetes.io");
}

/** What the pools inherit from the cluster section. */
export interface NodePoolDefaults {
  readonly rootVolumeSizeGiB: number;
  readonly amiId?: string;
  /** The cluster `amiId` is chosen for the control plane's architecture. */
  readonly controlPlaneInstanceType: string;
  /** Number of user tags (cluster `tags`), which every worker group also carries. */
  readonly userTagCount: number;
}

export function parseNodePools(v: Validator, inherited: NodePoolDefaults): NodePoolsConfig {
  const joinTokenTtlHours = v.number("joinTokenTtlHours", NODE_POOL_DEFAULTS.joinTokenTtlHours, { min: 1, max: 24 });
  const rotationMax = Math.max(1, Math.floor(joinTokenTtlHours / 2));
  const joinTokenRotationHours = v.number("joinTokenRotationHours", Math.min(NODE_POOL_DEFAULTS.joinTokenRotationHours, rotationMax), {
    min: 1,
  });
  if (joinTokenRotationHours > rotationMax) {
    // At most half the TTL: the token in the secret then always has at least half its life left,
    // and one failed rotation run still leaves a valid token until the next one.
    v.fail(
      "joinTokenRotationHours",
      joinTokenRotationHours,
      `an integer from 1 to ${rotationMax} (at most half of joinTokenTtlHours ${joinTokenTtlHours}, so the secret never holds a token about to expire)`,
    );
  }
  // The ceiling keeps the whole worker bootstrap inside platform-bootstrap.service's
  // TimeoutStartSec (45 min): systemd must not kill the wait before the worker can
  // log why it gives up and power off.
  const workerJoinTimeoutMinutes = v.number("workerJoinTimeoutMinutes", NODE_POOL_DEFAULTS.workerJoinTimeoutMinutes, {
    min: 5,
    max: MAX_WORKER_JOIN_TIMEOUT_MINUTES,
  });

  const items = poolValidators(v);
  let nodePools: NodePoolConfig[];
  if (items === undefined) {
    nodePools = [defaultPool(inherited)];
  } else {
    nodePools = items.map((item) => parsePool(item, inherited));
    const seen = new Map<string, string>();
    nodePools.forEach((pool, i) => {
      if (pool.name === "") return;
      const first = seen.get(pool.name);
      if (first !== undefined) {
        items[i].fail("name", pool.name, `a name not used by another pool (${first} has it already)`);
      } else {
        seen.set(pool.name, items[i].path);
      }
    });
  }
  return { nodePools, joinTokenTtlHours, joinTokenRotationHours, workerJoinTimeoutMinutes };
}

/**
 * One validator per pool whose path names the pool as well as its index
 * (`nodePools[1](gpu)`), sharing `v`'s problem list.
 */
function poolValidators(v: Validator): Validator[] | undefined {
  const items = v.objectList("nodePools", {
    label: (item) => (typeof item.name === "string" && POOL_NAME_RE.test(item.name) ? `(${item.name})` : ""),
    allowed: `a list of 1 to ${MAX_NODE_POOLS} pool objects (name, instanceTypes, minSize, maxSize, ...)`,
  });
  if (v.isRecording) return items;
  if (items === undefined) return v.has("nodePools") ? [] : undefined;
  const length = v.listLength("nodePools");
  if (length === 0 || length > MAX_NODE_POOLS) v.fail("nodePools", v.list("nodePools"), `a list of 1 to ${MAX_NODE_POOLS} pools`);
  return items;
}

function defaultPool(inherited: NodePoolDefaults): NodePoolConfig {
  const instanceTypes = [NODE_POOL_DEFAULTS.instanceType];
  return {
    ...NODE_POOL_DEFAULTS.pool,
    instanceTypes,
    architecture: instanceArchitecture(instanceTypes[0]),
    labels: {},
    taints: [],
    spot: false,
    onDemandBaseCapacity: 0,
    amiId: inherited.amiId,
    rootVolumeSizeGiB: inherited.rootVolumeSizeGiB,
  };
}

function parsePool(p: Validator, inherited: NodePoolDefaults): NodePoolConfig {
  p.rejectUnknownKeys(POOL_KEYS);
  const name = p.requiredString("name", {
    pattern: POOL_NAME,
    maxLength: POOL_NAME_MAX_LENGTH,
    allowed: `a DNS label: lowercase letters, digits and '-', starting with a letter, at most ${POOL_NAME_MAX_LENGTH} characters`,
  });

  const instanceTypes = parseInstanceTypes(p);
  const architecture = instanceArchitecture(instanceTypes[0] ?? NODE_POOL_DEFAULTS.instanceType);
  const mixed = instanceTypes.find((t) => instanceArchitecture(t) !== architecture);
  if (mixed !== undefined) {
    p.fail("instanceTypes", instanceTypes, `instance types of one CPU architecture (${instanceTypes[0]} is ${architecture}, ${mixed} is not): a launch template has one AMI`);
  }

  const sizeRule = { min: 0, max: MAX_POOL_SIZE };
  const problemsBeforeSizes = p.problems.length;
  if (!p.has("minSize")) p.fail("minSize", undefined, `an integer from 0 to ${MAX_POOL_SIZE}; required`);
  if (!p.has("maxSize")) p.fail("maxSize", undefined, `an integer from 1 to ${MAX_POOL_SIZE}; required`);
  const minSize = p.number("minSize", 0, sizeRule);
  const maxSize = p.number("maxSize", Math.max(1, minSize), { min: 1, max: MAX_POOL_SIZE });
  const desiredSize = p.number("desiredSize", minSize, sizeRule);
  // Compare the sizes only when each one is valid on its own: a fallback would report a second, made-up problem.
  if (p.problems.length === problemsBeforeSizes) {
    if (minSize > maxSize) {
      p.fail("maxSize", maxSize, `an integer of at least minSize (${minSize})`);
    } else if (desiredSize < minSize || desiredSize > maxSize) {
      p.fail("desiredSize", desiredSize, `an integer from minSize (${minSize}) to maxSize (${maxSize})`);
    }
  }

  const labels = parseLabels(p);
  const taints = parseTaints(p);
  const templateTags = Object.keys(labels).length + taints.length;
  const tagRoom = ASG_TAG_LIMIT - PLATFORM_ASG_TAG_COUNT - inherited.userTagCount;
  if (templateTags > tagRoom) {
    p.fail(
      "labels",
      `${Object.keys(labels).length} labels and ${taints.length} taints`,
      `at most ${tagRoom} labels and taints together: each becomes a cluster-autoscaler tag on the autoscaling group, AWS allows ${ASG_TAG_LIMIT} tags there, and the platform and the cluster tags use ${PLATFORM_ASG_TAG_COUNT + inherited.userTagCount}`,
    );
  }

  const spot = p.boolean("spot", false);
  const onDemandBaseCapacity = p.number("onDemandBaseCapacity", 0, { min: 0, max: MAX_POOL_SIZE });
  if (!spot && onDemandBaseCapacity > 0) {
    p.fail("onDemandBaseCapacity", onDemandBaseCapacity, "0 unless spot is true (without spot every instance is on-demand)");
  } else if (onDemandBaseCapacity > maxSize) {
    p.fail("onDemandBaseCapacity", onDemandBaseCapacity, `an integer from 0 to maxSize (${maxSize})`);
  }

  const amiId = p.string("amiId", undefined, {
    pattern: AMI_ID,
    allowed: "an AMI id such as ami-0123456789abcdef0 (ami- followed by 8 or 17 lowercase hex digits)",
  });
  const controlPlaneArch = instanceArchitecture(inherited.controlPlaneInstanceType);
  if (amiId === undefined && inherited.amiId !== undefined && architecture !== controlPlaneArch) {
    p.fail(
      "amiId",
      undefined,
      `an AMI id for ${architecture}: the cluster amiId ${inherited.amiId} is used by the ${controlPlaneArch} control plane and cannot boot ${instanceTypes[0]}`,
    );
  }
  const rootVolumeSizeGiB = p.number("rootVolumeSizeGiB", inherited.rootVolumeSizeGiB, { min: 20, max: 16384 });

  return {
    name,
    instanceTypes,
    architecture,
    minSize,
    desiredSize,
    maxSize,
    labels,
    taints,
    spot,
    onDemandBaseCapacity,
    amiId: amiId ?? inherited.amiId,
    rootVolumeSizeGiB,
  };
}

function parseInstanceTypes(p: Validator): string[] {
  const raw = p.stringList("instanceTypes", [NODE_POOL_DEFAULTS.instanceType], { minItems: 1 });
  if (raw.length > MAX_INSTANCE_TYPES) {
    p.fail("instanceTypes", raw, `a list of 1 to ${MAX_INSTANCE_TYPES} EC2 instance types`);
  }
  const types: string[] = [];
  raw.forEach((_, i) => {
    const one = new Validator({ [`instanceTypes[${i}]`]: raw[i] }, p.path, p.problems as Problem[]);
    types.push(parseInstanceType(one, `instanceTypes[${i}]`, NODE_POOL_DEFAULTS.instanceType));
  });
  const duplicate = types.find((t, i) => types.indexOf(t) !== i);
  if (duplicate !== undefined) p.fail("instanceTypes", raw, `distinct instance types (${duplicate} is listed twice)`);
  return types.length > 0 ? types : [NODE_POOL_DEFAULTS.instanceType];
}

function parseLabels(p: Validator): Record<string, string> {
  const labels = p.stringMap("labels", {});
  for (const [key, value] of Object.entries(labels)) {
    const at = `${p.keyPath("labels")}["${key}"]`;
    const keyError = qualifiedNameError(key);
    let ok = true;
    if (keyError !== undefined) {
      p.failAt(at, key, `a Kubernetes label key (${keyError}): ${QUALIFIED_NAME_ALLOWED}`);
      ok = false;
    } else if (!isSelfSettableLabel(key)) {
      p.failAt(
        at,
        key,
        "a label key the kubelet may set on its own Node: not in the kubernetes.io or k8s.io namespaces (NodeRestriction) except under node.kubernetes.io/ or kubelet.kubernetes.io/; node-role.kubernetes.io/* cannot be self-set, use e.g. node.kubernetes.io/role or your own prefix",
      );
      ok = false;
    } else if (CA_LABEL_TAG_PREFIX.length + key.length > AWS_TAG_KEY_MAX) {
      p.failAt(at, key, `a label key of at most ${AWS_TAG_KEY_MAX - CA_LABEL_TAG_PREFIX.length} characters (it becomes the AWS tag ${CA_LABEL_TAG_PREFIX}<key>, and AWS tag keys hold ${AWS_TAG_KEY_MAX})`);
      ok = false;
    }
    if (!isValidLabelValue(value)) {
      p.failAt(at, value, `a Kubernetes label value: ${LABEL_VALUE_ALLOWED}`);
      ok = false;
    }
    if (!ok) delete labels[key];
  }
  return labels;
}

function parseTaints(p: Validator): Taint[] {
  const items = p.objectList("taints") ?? [];
  const taints: Taint[] = [];
  items.forEach((t) => {
    t.rejectUnknownKeys(TAINT_KEYS);
    const key = t.requiredString("key");
    const keyError = key === "" ? undefined : qualifiedNameError(key);
    if (keyError !== undefined) t.fail("key", key, `a Kubernetes taint key (${keyError}): ${QUALIFIED_NAME_ALLOWED}`);
    else if (CA_TAINT_TAG_PREFIX.length + key.length > AWS_TAG_KEY_MAX) {
      t.fail("key", key, `a taint key of at most ${AWS_TAG_KEY_MAX - CA_TAINT_TAG_PREFIX.length} characters (it becomes the AWS tag ${CA_TAINT_TAG_PREFIX}<key>)`);
    }
    const value = t.string("value", "");
    if (!isValidLabelValue(value)) t.fail("value", value, `a taint value: ${LABEL_VALUE_ALLOWED}`);
    const effect = t.requiredString("effect", {
      oneOf: TAINT_EFFECTS,
      allowed: `one of ${TAINT_EFFECTS.join(", ")}`,
    }) as TaintEffect;
    if (key === "" || keyError !== undefined || !(TAINT_EFFECTS as readonly string[]).includes(effect)) return;
    if (taints.some((x) => x.key === key && x.effect === effect)) {
      t.fail("key", key, `a key/effect pair not already used by another taint of this pool (${key}:${effect} is listed twice)`);
      return;
    }
    taints.push({ key, value, effect });
  });
  const byKey = new Set(taints.map((x) => x.key));
  if (byKey.size !== taints.length) {
    // The autoscaler template tag is keyed by taint key alone, so it can describe one effect per key.
    p.fail("taints", taints.map((x) => `${x.key}:${x.effect}`), "at most one taint per key (the cluster-autoscaler template tag k8s.io/cluster-autoscaler/node-template/taint/<key> holds one value:effect)");
  }
  return taints;
}

/** Registered in `infra/config/index.ts`. */
export const nodePoolsSection = {
  keys: NODE_POOL_KEYS,
  parse: (v: Validator, cluster: ClusterConfig): NodePoolsConfig =>
    parseNodePools(v, {
      rootVolumeSizeGiB: cluster.rootVolumeSizeGiB,
      amiId: cluster.amiId,
      controlPlaneInstanceType: cluster.controlPlaneInstanceType,
      userTagCount: Object.keys(cluster.tags).length,
    }),
};
