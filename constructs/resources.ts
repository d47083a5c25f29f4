/**
 * CPU and memory sizes as Kubernetes quantities, restricted to the forms people
 * write by hand (`250m`, `1`, `1.5` for CPU; `256Mi`, `2Gi` for memory) so that
 * requests and limits can be compared before anything is synthesized.
 */
import { Size } from "cdk8s";
import { Cpu } from "cdk8s-plus-28";
import { Quantity, ResourceRequirements } from "cdk8s-plus-28/lib/imports/k8s";

/** Requests and limits of one container. */
export interface ResourceSpec {
  readonly cpu: { readonly request: string; readonly limit: string };
  readonly memory: { readonly request: string; readonly limit: string };
}

/** Deliberately small: the seed asks not to "require a lot of CPU and memory". */
export const DEFAULT_RESOURCES: ResourceSpec = {
  cpu: { request: "100m", limit: "500m" },
  memory: { request: "128Mi", limit: "256Mi" },
};

const CPU_QUANTITY = /^(?:[1-9][0-9]*m|[0-9]+(?:\.[0-9]{1,3})?)$/;
const MEMORY_QUANTITY = /^[1-9][0-9]*(?:Mi|Gi)$/;

export const CPU_QUANTITY_ALLOWED = "a CPU quantity such as 250m, 1 or 1.5 (greater than zero)";
export const MEMORY_QUANTITY_ALLOWED = "a memory quantity in Mi or Gi such as 256Mi or 2Gi";

/** Millicores, or undefined when `q` is not an accepted CPU quantity. */
export function cpuMillis(q: string): number | undefined {
  if (!CPU_QUANTITY.test(q)) return undefined;
  const millis = q.endsWith("m") ? Number(q.slice(0, -1)) : Math.round(Number(q) * 1000);
  return millis > 0 ? millis : undefined;
}

/** Mebibytes, or undefined when `q` is not an accepted memory quantity. */
export function memoryMebibytes(q: string): number | undefined {
  if (!MEMORY_QUANTITY.test(q)) return undefined;
  const n = Number(q.slice(0, -2));
  return q.endsWith("Gi") ? n * 1024 : n;
}

/**
 * Every problem with a resource spec, phrased as `key: got ...; allowed: ...`
 * with `prefix` as the key path. Empty when the spec is valid.
 */
export function resourceSpecProblems(prefix: string, spec: ResourceSpec): string[] {
  const problems: string[] = [];
  const cpuReq = cpuMillis(spec.cpu.request);
  const cpuLim = cpuMillis(spec.cpu.limit);
  const memReq = memoryMebibytes(spec.memory.request);
  const memLim = memoryMebibytes(spec.memory.limit);
  if (cpuReq === undefined) problems.push(`${prefix}.cpu.request: got ${JSON.stringify(spec.cpu.request)}; allowed: ${CPU_QUANTITY_ALLOWED}`);
  if (cpuLim === undefined) problems.push(`${prefix}.cpu.limit: got ${JSON.stringify(spec.cpu.limit)}; allowed: ${CPU_QUANTITY_ALLOWED}`);
  if (memReq === undefined) problems.push(`${prefix}.memory.request: got ${JSON.stringify(spec.memory.request)}; allowed: ${MEMORY_QUANTITY_ALLOWED}`);
  if (memLim === undefined) problems.push(`${prefix}.memory.limit: got ${JSON.stringify(spec.memory.limit)}; allowed: ${MEMORY_QUANTITY_ALLOWED}`);
  if (cpuReq !== undefined && cpuLim !== undefined && cpuReq > cpuLim) {
    problems.push(`${prefix}.cpu.request: got ${JSON.stringify(spec.cpu.request)}; allowed: at most the limit (${spec.cpu.limit})`);
  }
  if (memReq !== undefined && memLim !== undefined && memReq > memLim) {
    problems.push(`${prefix}.memory.request: got ${JSON.stringify(spec.memory.request)}; allowed: at most the limit (${spec.memory.limit})`);
  }
  return problems;
}

/** The cdk8s-plus form of a spec already checked with {@link resourceSpecProblems}. */
export function toContainerResources(spec: ResourceSpec): {
  cpu: { request: Cpu; limit: Cpu };
  memory: { request: Size; limit: Size };
} {
  return {
    cpu: { request: Cpu.millis(cpuMillis(spec.cpu.request) ?? 0), limit: Cpu.millis(cpuMillis(spec.cpu.limit) ?? 0) },
    memory: {
      request: Size.mebibytes(memoryMebibytes(spec.memory.request) ?? 0),
      limit: Size.mebibytes(memoryMebibytes(spec.memory.limit) ?? 0),
    },
  };
}

/** The low-level (`imports/k8s`) form of a spec, for constructs built on the typed Kubernetes objects. */
export function toKubeResources(spec: ResourceSpec): ResourceRequirements {
  return {
    requests: { cpu: Quantity.fromString(spec.cpu.request), memory: Quantity.fromString(spec.memory.request) },
    limits: { cpu: Quantity.fromString(spec.cpu.limit), memory: Quantity.fromString(spec.memory.limit) },
  };
}
