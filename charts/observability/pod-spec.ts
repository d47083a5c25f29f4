/**
 * Pod-level building blocks shared by the Prometheus, Grafana and FluentD charts.
 *
 * These workloads are written with the typed low-level objects of
 * `cdk8s-plus-28/lib/imports/k8s` rather than cdk8s-plus constructs: they need
 * host namespaces and host mounts with mount propagation (node-exporter,
 * FluentD), a Recreate strategy with an fsGroup-owned volume (Grafana,
 * Prometheus) and images with a fixed non-root UID, and every one of those
 * settings should be visible in the chart code, not left to a library default.
 */
import { IntOrString, KubeNamespace, Quantity } from "cdk8s-plus-28/lib/imports/k8s";
import type { Container, PodSecurityContext, Probe, SecurityContext } from "cdk8s-plus-28/lib/imports/k8s";
import { Construct } from "constructs";
import type { ResourceSpec } from "../../constructs/resources";

export function k8sResources(spec: ResourceSpec): Container["resources"] {
  return {
    requests: { cpu: Quantity.fromString(spec.cpu.request), memory: Quantity.fromString(spec.memory.request) },
    limits: { cpu: Quantity.fromString(spec.cpu.limit), memory: Quantity.fromString(spec.memory.limit) },
  };
}

/**
 * The restricted container profile: no privilege escalation, no capabilities,
 * read-only root filesystem, RuntimeDefault seccomp.
 */
export function restrictedContainer(opts: { writableRoot?: boolean } = {}): SecurityContext {
  return {
    allowPrivilegeEscalation: false,
    readOnlyRootFilesystem: !opts.writableRoot,
    runAsNonRoot: true,
    capabilities: { drop: ["ALL"] },
    seccompProfile: { type: "RuntimeDefault" },
  };
}

/** A pod running as `uid` (the image's own user), with volumes group-owned by `fsGroup`. */
export function nonRootPod(uid: number, fsGroup?: number): PodSecurityContext {
  return {
    runAsNonRoot: true,
    runAsUser: uid,
    runAsGroup: fsGroup ?? uid,
    ...(fsGroup !== undefined ? { fsGroup, fsGroupChangePolicy: "OnRootMismatch" } : {}),
    seccompProfile: { type: "RuntimeDefault" },
  };
}

export function httpProbe(path: string, port: number, opts: Partial<Probe> = {}): Probe {
  return {
    httpGet: { path, port: IntOrString.fromNumber(port) },
    periodSeconds: 10,
    timeoutSeconds: 5,
    failureThreshold: 3,
    ...opts,
  };
}

/** Pod Security Admission level of a namespace. */
export type PodSecurityLevel = "restricted" | "baseline" | "privileged";

/**
 * A namespace with Pod Security Admission labels. `enforce` is what the
 * namespace's workloads need; `warn`/`audit` stay at `restricted` so anything
 * weaker than that shows up in `kubectl` warnings and the audit log.
 */
export function podSecurityNamespace(scope: Construct, id: string, name: string, enforce: PodSecurityLevel): KubeNamespace {
  return new KubeNamespace(scope, id, {
    metadata: {
      name,
      labels: {
        "pod-security.kubernetes.io/enforce": enforce,
        "pod-security.kubernetes.io/warn": "restricted",
        "pod-security.kubernetes.io/audit": "restricted",
      },
    },
  });
}

/** `app.kubernetes.io/*` labels; `name` doubles as the selector. */
export function appLabels(name: string, partOf: string, component?: string): Record<string, string> {
  return {
    "app.kubernetes.io/name": name,
    "app.kubernetes.io/part-of": partOf,
    ...(component ? { "app.kubernetes.io/component": component } : {}),
    "app.kubernetes.io/managed-by": "cdk8s",
  };
}

export function selectorOf(name: string): Record<string, string> {
  return { "app.kubernetes.io/name": name };
}
