/**
 * Readers for the value shapes every app section repeats (images, resources,
 * replicas, autoscaling, hosts, Secret references). Each records problems on
 * the shared {@link Validator} under the full key path and returns the default,
 * so one run of `npm run synth` reports every mistake in a values file.
 */
import { isPinnedImage, PINNED_IMAGE_ALLOWED, withRegistry } from "../constructs/image";
import { isDnsSubdomain, isHostName } from "../constructs/names";
import {
  CPU_QUANTITY_ALLOWED,
  cpuMillis,
  MEMORY_QUANTITY_ALLOWED,
  memoryMebibytes,
  ResourceSpec,
} from "../constructs/resources";
import { Validator } from "../lib/validate";

/**
 * The section `key` of `v`, or an empty one when absent, so app parsers read
 * defaults the same way whether or not the user wrote the section.
 */
export function section(v: Validator, key: string): Validator {
  return v.section(key);
}

/** A pinned image reference; `registry` (global.imageRegistry) is put in front of references without one. */
export function readImage(v: Validator, key: string, fallback: string, registry: string | undefined): string {
  const ref = v.string(key, fallback, { maxLength: 512, allowed: PINNED_IMAGE_ALLOWED });
  if (ref !== fallback && !isPinnedImage(ref)) {
    v.fail(key, ref, PINNED_IMAGE_ALLOWED);
    return withRegistry(fallback, registry);
  }
  return withRegistry(ref, registry);
}

/** `{cpu: {request, limit}, memory: {request, limit}}`, each key optional, request <= limit. */
export function readResources(v: Validator, key: string, fallback: ResourceSpec): ResourceSpec {
  const r = v.object(key);
  if (!r) return fallback;
  r.rejectUnknownKeys(["cpu", "memory"]);
  const cpu = r.object("cpu");
  const memory = r.object("memory");
  cpu?.rejectUnknownKeys(["request", "limit"]);
  memory?.rejectUnknownKeys(["request", "limit"]);
  const quantity = (
    s: Validator | undefined,
    k: "request" | "limit",
    dflt: string,
    parse: (q: string) => number | undefined,
    allowed: string,
  ): string => {
    if (!s) return dflt;
    const raw = s.raw(k);
    // YAML turns `cpu: 1` into a number; accept it as the quantity it means.
    const value = typeof raw === "number" ? String(raw) : s.string(k, dflt);
    if (typeof raw === "number" || value !== dflt) {
      if (parse(value) === undefined) {
        s.fail(k, raw, allowed);
        return dflt;
      }
    }
    return value;
  };
  const out: ResourceSpec = {
    cpu: {
      request: quantity(cpu, "request", fallback.cpu.request, cpuMillis, CPU_QUANTITY_ALLOWED),
      limit: quantity(cpu, "limit", fallback.cpu.limit, cpuMillis, CPU_QUANTITY_ALLOWED),
    },
    memory: {
      request: quantity(memory, "request", fallback.memory.request, memoryMebibytes, MEMORY_QUANTITY_ALLOWED),
      limit: quantity(memory, "limit", fallback.memory.limit, memoryMebibytes, MEMORY_QUANTITY_ALLOWED),
    },
  };
  if ((cpuMillis(out.cpu.request) ?? 0) > (cpuMillis(out.cpu.limit) ?? 0)) {
    r.failAt(r.keyPath("cpu.request"), out.cpu.request, `at most cpu.limit (${out.cpu.limit})`);
  }
  if ((memoryMebibytes(out.memory.request) ?? 0) > (memoryMebibytes(out.memory.limit) ?? 0)) {
    r.failAt(r.keyPath("memory.request"), out.memory.request, `at most memory.limit (${out.memory.limit})`);
  }
  return out;
}

/** HPA bounds of a service. */
export interface AutoscalingValues {
  readonly minReplicas: number;
  readonly maxReplicas: number;
  /** Target average CPU utilization, percent of the request. */
  readonly cpuUtilization: number;
}

export function readAutoscaling(v: Validator, key: string, fallback: AutoscalingValues): AutoscalingValues {
  const a = v.object(key);
  if (!a) return fallback;
  a.rejectUnknownKeys(["minReplicas", "maxReplicas", "cpuUtilization"]);
  const out = {
    minReplicas: a.number("minReplicas", fallback.minReplicas, { min: 1, max: 100 }),
    maxReplicas: a.number("maxReplicas", fallback.maxReplicas, { min: 1, max: 100 }),
    cpuUtilization: a.number("cpuUtilization", fallback.cpuUtilization, { min: 10, max: 100 }),
  };
  if (out.minReplicas > out.maxReplicas) {
    a.fail("minReplicas", out.minReplicas, `at most maxReplicas (${out.maxReplicas})`);
  }
  return out;
}

export function readReplicas(v: Validator, key: string, fallback: number): number {
  return v.number(key, fallback, { min: 1, max: 100 });
}

export const HOST_ALLOWED = "a fully qualified lower-case host name such as bot.example.com";

export function readHost(v: Validator, key: string, fallback: string): string {
  const host = v.string(key, fallback, { allowed: HOST_ALLOWED });
  if (!isHostName(host)) {
    v.fail(key, host, HOST_ALLOWED);
    return fallback;
  }
  return host;
}

export const SECRET_NAME_ALLOWED = "a Secret name (lower-case letters, digits, '-' and '.')";

/** Name of an existing Secret (the Secret itself is created outside the charts). */
export function readSecretName(v: Validator, key: string, fallback: string): string {
  const name = v.string(key, fallback, { maxLength: 253, allowed: SECRET_NAME_ALLOWED });
  if (!isDnsSubdomain(name)) {
    v.fail(key, name, SECRET_NAME_ALLOWED);
    return fallback;
  }
  return name;
}

/** A key inside a Secret or ConfigMap. */
export function readDataKey(v: Validator, key: string, fallback: string): string {
  return v.string(key, fallback, {
    pattern: /[-._a-zA-Z0-9]{1,253}/,
    allowed: "a Secret key (letters, digits, '-', '_' and '.')",
  });
}
