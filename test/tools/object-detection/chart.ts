/**
 * What the object-detection chart gives each pod, read from the manifests the
 * platform deploys (charts synthesized in-process with the default values): the
 * flow test starts the services with exactly this environment, and the
 * Dockerfile test checks the images against these ports, probes and UIDs.
 */
import { defaultValues } from "../../../charts/values";
import { synthesize } from "../synthesized";

export interface PodSpecFacts {
  readonly name: string;
  /** Plain `env` values. */
  readonly env: Record<string, string>;
  /** `env` from Secrets: variable -> Secret name and key. */
  readonly secretEnv: Record<string, { name: string; key: string }>;
  /** Data of the ConfigMaps in `envFrom`, merged. */
  readonly configMapEnv: Record<string, string>;
  readonly containerPort: number;
  readonly probePaths: { readiness: string; liveness: string; startup: string };
  readonly probePorts: number[];
  readonly runAsUser: number;
  readonly runAsGroup: number;
  readonly readOnlyRootFilesystem: boolean;
  readonly writablePaths: string[];
  /** Secret volumes of the container: mount path -> Secret name and the keys it projects (all keys when empty). */
  readonly secretMounts: Record<string, { secretName: string; keys: string[] }>;
  readonly terminationGracePeriodSeconds: number;
  readonly args?: string[];
  readonly command?: string[];
}

// The manifests are untyped JSON.
/* eslint-disable @typescript-eslint/no-explicit-any */
export function objectDetectionPods(): Map<string, PodSpecFacts> {
  const chart = synthesize(defaultValues()).find((c) => c.chart === "object-detection");
  if (!chart) throw new Error("no object-detection chart among the synthesized charts");
  const objects = chart.objects as any[];
  const configMaps = new Map<string, Record<string, string>>(
    objects.filter((o) => o.kind === "ConfigMap").map((o) => [o.metadata.name, o.data ?? {}]),
  );
  const out = new Map<string, PodSpecFacts>();
  for (const d of objects.filter((o) => o.kind === "Deployment")) {
    const spec = d.spec.template.spec;
    if (spec.containers.length !== 1) throw new Error(`${d.metadata.name}: expected one container`);
    const c = spec.containers[0];
    const env: Record<string, string> = {};
    const secretEnv: Record<string, { name: string; key: string }> = {};
    for (const e of c.env ?? []) {
      if (e.valueFrom?.secretKeyRef) secretEnv[e.name] = { name: e.valueFrom.secretKeyRef.name, key: e.valueFrom.secretKeyRef.key };
      else env[e.name] = e.value;
    }
    const configMapEnv: Record<string, string> = {};
    for (const f of c.envFrom ?? []) Object.assign(configMapEnv, configMaps.get(f.configMapRef?.name) ?? {});
    const probe = (p: any) => p?.httpGet;
    out.set(d.metadata.name, {
      name: d.metadata.name,
      env,
      secretEnv,
      configMapEnv,
      containerPort: c.ports[0].containerPort,
      probePaths: { readiness: probe(c.readinessProbe).path, liveness: probe(c.livenessProbe).path, startup: probe(c.startupProbe).path },
      probePorts: [c.readinessProbe, c.livenessProbe, c.startupProbe].map((p) => Number(probe(p).port)),
      runAsUser: c.securityContext?.runAsUser ?? spec.securityContext?.runAsUser,
      runAsGroup: c.securityContext?.runAsGroup ?? spec.securityContext?.runAsGroup,
      readOnlyRootFilesystem: c.securityContext?.readOnlyRootFilesystem === true,
      writablePaths: (c.volumeMounts ?? []).filter((m: any) => !m.readOnly).map((m: any) => m.mountPath),
      secretMounts: Object.fromEntries(
        (c.volumeMounts ?? []).flatMap((m: any) => {
          const secret = (spec.volumes ?? []).find((v: any) => v.name === m.name)?.secret;
          return secret ? [[m.mountPath, { secretName: secret.secretName, keys: (secret.items ?? []).map((i: any) => i.key) }]] : [];
        }),
      ),
      terminationGracePeriodSeconds: spec.terminationGracePeriodSeconds ?? 30,
      args: c.args,
      command: c.command,
    });
  }
  return out;
}
