import { ApiObject, JsonPatch } from "cdk8s";
import * as kplus from "cdk8s-plus-28";
import { IntOrString } from "cdk8s-plus-28/lib/imports/k8s";

/** An HTTP GET or TCP probe in the Kubernetes API's JSON form, with every timing explicit. */
export interface ProbeSpec {
  readonly httpGet?: { readonly path: string; readonly port: number };
  readonly tcpSocket?: { readonly port: number };
  readonly initialDelaySeconds: number;
  readonly periodSeconds: number;
  readonly timeoutSeconds: number;
  /** Consecutive successes before the probe counts as passing (readiness only may exceed 1). */
  readonly successThreshold: number;
  readonly failureThreshold: number;
}

/** Probes to replace; a key left out keeps the workload's probe, `null` removes it. */
export interface ProbeOverrides {
  /**
   * Replacement readiness probe.
   * @default - unchanged
   */
  readonly readiness?: ProbeSpec;
  /**
   * Replacement liveness probe.
   * @default - unchanged
   */
  readonly liveness?: ProbeSpec;
  /**
   * Replacement startup probe, or `null` to remove it.
   * @default - unchanged
   */
  readonly startup?: ProbeSpec | null;
}

/**
 * Replaces probes of one container of a Deployment built by another construct
 * (e.g. a Microservice with fixed probe timings), for the cases an application
 * prescribes exact probe settings or is not HTTP. Applied as JSON patches on
 * the object before cdk8s-plus serializes it with the typed Kubernetes API
 * (which keeps every field used here, but only reads ports given as
 * `IntOrString`, hence the conversion).
 */
export function overrideProbes(deployment: kplus.Deployment, containerName: string, overrides: ProbeOverrides): void {
  const index = deployment.containers.findIndex((c) => c.name === containerName);
  if (index < 0) {
    throw new Error(
      `overrideProbes: container: got ${JSON.stringify(containerName)}; allowed: one of ${deployment.containers.map((c) => c.name).join(", ")}`,
    );
  }
  const base = `/spec/template/spec/containers/${index}`;
  const object = ApiObject.of(deployment);
  const entries: [keyof ProbeOverrides, string][] = [
    ["readiness", "readinessProbe"],
    ["liveness", "livenessProbe"],
    ["startup", "startupProbe"],
  ];
  for (const [key, field] of entries) {
    const probe = overrides[key];
    if (probe === undefined) continue;
    if (probe === null) {
      object.addJsonPatch(JsonPatch.remove(`${base}/${field}`));
      continue;
    }
    validateProbe(`${containerName} ${key}`, key, probe);
    // "add" replaces an existing member and creates a missing one.
    const typed = {
      ...probe,
      httpGet: probe.httpGet && { path: probe.httpGet.path, port: IntOrString.fromNumber(probe.httpGet.port) },
      tcpSocket: probe.tcpSocket && { port: IntOrString.fromNumber(probe.tcpSocket.port) },
    };
    object.addJsonPatch(JsonPatch.add(`${base}/${field}`, typed));
  }
}

function validateProbe(what: string, key: keyof ProbeOverrides, p: ProbeSpec): void {
  if ((p.httpGet === undefined) === (p.tcpSocket === undefined)) {
    throw new Error(`overrideProbes ${what}: got ${JSON.stringify(p)}; allowed: exactly one of httpGet or tcpSocket`);
  }
  const ranges: [string, number, number, number][] = [
    ["initialDelaySeconds", p.initialDelaySeconds, 0, 3600],
    ["periodSeconds", p.periodSeconds, 1, 3600],
    ["timeoutSeconds", p.timeoutSeconds, 1, 3600],
    ["successThreshold", p.successThreshold, 1, key === "readiness" ? 100 : 1],
    ["failureThreshold", p.failureThreshold, 1, 1000],
  ];
  for (const [name, value, min, max] of ranges) {
    if (!Number.isInteger(value) || value < min || value > max) {
      throw new Error(`overrideProbes ${what}: ${name}: got ${JSON.stringify(value)}; allowed: an integer from ${min} to ${max}`);
    }
  }
}
