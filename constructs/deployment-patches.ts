/**
 * Pod-template settings that {@link Microservice} does not expose, applied as
 * JSON patches on its Deployment. Each one is a field of the Kubernetes 1.28
 * schema that cdk8s-plus-28 serializes, so the patch survives synthesis (tests
 * assert the synthesized field).
 */
import { ApiObject, JsonPatch } from "cdk8s";
import * as kplus from "cdk8s-plus-28";
import { IntOrString } from "cdk8s-plus-28/lib/imports/k8s";
import { assertDnsSubdomain, assertIntegerInRange } from "./names";
import { ProbeSpec } from "./probe-overrides";

/** Pulls the pod's images with the registry credentials in `secretName` (a `kubernetes.io/dockerconfigjson` Secret). */
export function addImagePullSecret(deployment: kplus.Deployment, secretName: string): void {
  assertDnsSubdomain("imagePullSecret", secretName);
  ApiObject.of(deployment).addJsonPatch(JsonPatch.add("/spec/template/spec/imagePullSecrets", [{ name: secretName }]));
}

/**
 * Stops the old pod before starting the new one. Required for a single pod
 * that mounts a ReadWriteOnce volume: with a rolling update the new pod can
 * land on another node and wait forever for the volume the old pod holds.
 */
export function useRecreateStrategy(deployment: kplus.Deployment): void {
  ApiObject.of(deployment).addJsonPatch(JsonPatch.add("/spec/strategy", { type: "Recreate" }));
}

/**
 * Points the HTTP probes of the first container at `port`, for images that
 * serve their health endpoints on a port of their own (e.g. 8086) rather
 * than on the traffic port.
 */
export function useHealthPort(deployment: kplus.Deployment, port: number): void {
  assertIntegerInRange("health port", port, 1, 65535);
  const obj = ApiObject.of(deployment);
  for (const probe of ["readinessProbe", "livenessProbe", "startupProbe"]) {
    // Patches apply before the typed serializer, which reads IntOrString's `value`.
    obj.addJsonPatch(JsonPatch.replace(`/spec/template/spec/containers/0/${probe}/httpGet/port`, IntOrString.fromNumber(port)));
  }
}

/**
 * Requires the pods to run on the node of the pods matching `labels`, for
 * pods that share a ReadWriteOnce volume with them (a ReadWriteOnce volume
 * can be mounted by several pods, but only on one node).
 */
export function colocateWith(deployment: kplus.Deployment, labels: Record<string, string>): void {
  ApiObject.of(deployment).addJsonPatch(
    JsonPatch.add("/spec/template/spec/affinity", {
      podAffinity: {
        requiredDuringSchedulingIgnoredDuringExecution: [
          { topologyKey: "kubernetes.io/hostname", labelSelector: { matchLabels: labels } },
        ],
      },
    }),
  );
}

/**
 * A liveness probe that only checks the port accepts connections, for servers
 * whose single health endpoint already serves as the readiness probe (a
 * liveness probe identical to the readiness probe restarts pods that are
 * merely busy).
 */
export function tcpLiveness(port: number): ProbeSpec {
  return { tcpSocket: { port }, initialDelaySeconds: 0, periodSeconds: 20, timeoutSeconds: 3, successThreshold: 1, failureThreshold: 3 };
}
