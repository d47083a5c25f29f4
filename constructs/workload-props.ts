/**
 * The vocabulary {@link Microservice}, {@link StatefulService} and
 * {@link HostDaemonSet} share: probes, environment, Secret references,
 * security opt-outs and shutdown. One type per concept, so a chart moves a
 * workload between constructs without translating its settings.
 */
import { ApiObject } from "cdk8s";
import * as kplus from "cdk8s-plus-28";
import * as k8s from "cdk8s-plus-28/lib/imports/k8s";
import type { Caller } from "./caller-policy";
import { isPinnedImage, PINNED_IMAGE_ALLOWED } from "./image";
import { assertDnsLabel, assertDnsSubdomain, assertIntegerInRange } from "./names";

/** A key of an existing Secret; the value is referenced, never copied into a manifest. */
export interface SecretKeyRef {
  /** Name of the Secret, in the workload's namespace. */
  readonly secretName: string;
  /** Key inside the Secret. */
  readonly key: string;
}

/**
 * Probes of the main container, as cdk8s-plus values
 * (`kplus.Probe.fromHttpGet`, `fromTcpSocket`, `fromCommand`). An HTTP or TCP
 * probe names its port (cdk8s-plus would otherwise pick 80). Each one left
 * out keeps the construct's default.
 */
export interface WorkloadProbes {
  /**
   * When the pod may take traffic.
   * @default - the construct's default
   */
  readonly readiness?: kplus.Probe;
  /**
   * When the kubelet restarts the container. Keep it independent of
   * downstream dependencies, or an outage restarts every pod.
   * @default - the construct's default
   */
  readonly liveness?: kplus.Probe;
  /**
   * Holds the other probes back during a slow first start.
   * @default - the construct's default
   */
  readonly startup?: kplus.Probe;
}

/** Environment of the main container. */
export interface WorkloadEnv {
  /**
   * Plain environment variables (non-secret), in insertion order; a value may
   * use `$(OTHER_VAR)` to refer to a variable defined before it (including
   * those from {@link envFromFields}).
   * @default - none
   */
  readonly env?: Record<string, string>;
  /**
   * Environment variables from the pod's own metadata (`metadata.name`,
   * `metadata.namespace`, `status.podIP`, ...), defined before {@link env}.
   * @default - none
   */
  readonly envFromFields?: Record<string, string>;
  /**
   * Names of ConfigMaps whose keys all become environment variables.
   * @default - none
   */
  readonly envFromConfigMaps?: string[];
  /**
   * Environment variables read from existing Secrets (referenced, never inlined).
   * @default - none
   */
  readonly envFromSecrets?: Record<string, SecretKeyRef>;
}

/** What names a workload and what it runs; the props every workload construct starts from. */
export interface WorkloadBase extends WorkloadEnv {
  /** Name of the workload object, its ServiceAccount and Services, and the pod label `app.kubernetes.io/name` that selects its pods. */
  readonly name: string;
  /**
   * Namespace of every object.
   * @default - the chart's namespace
   */
  readonly namespace?: string;
  /**
   * Label `app.kubernetes.io/part-of` on every object (the application).
   * @default - no part-of label
   */
  readonly partOf?: string;
  /**
   * Extra labels on every object and pod (e.g. `app.kubernetes.io/component`).
   * @default - none
   */
  readonly labels?: Record<string, string>;
  /** Container image, pinned to a tag other than `latest` or to a digest. */
  readonly image: string;
  /**
   * Arguments passed to the image's entrypoint.
   * @default - the image's CMD
   */
  readonly args?: string[];
  /**
   * Who may connect to the pods: each caller a peer (`Peer.pods`, `Peer.podsIn`,
   * `Peer.namespace`, ...) and the container ports it may use. The construct
   * emits the NetworkPolicy `<name>-callers` selecting its pods; the
   * application namespace denies every other connection (AppNamespace). `[]`
   * when nothing calls the pods. Prometheus (for a workload that declares
   * metrics), the ingress controller (TlsIngress) and node-port clients
   * (NodePortService) are admitted by those props and constructs themselves;
   * the kubelet's probes come from the node, which NetworkPolicy never filters.
   */
  readonly callers: readonly Caller[];
}

/** The selector labels (`app.kubernetes.io/name`) and every label of a workload's objects and pods. */
export function workloadLabels(props: WorkloadBase): { selector: Record<string, string>; labels: Record<string, string> } {
  const selector = { "app.kubernetes.io/name": props.name };
  return {
    selector,
    labels: { ...selector, ...(props.partOf ? { "app.kubernetes.io/part-of": props.partOf } : {}), ...props.labels },
  };
}

/** Rejects a bad name, namespace, extra labels, an unpinned image and a bad environment. */
export function validateWorkloadBase(kind: string, what: (key: string) => string, props: WorkloadBase): void {
  assertDnsLabel(`${kind} name`, props.name);
  if (props.namespace !== undefined) assertDnsLabel(what("namespace"), props.namespace);
  if (props.labels !== undefined) validateExtraLabels(what("labels"), props.labels);
  if (!isPinnedImage(props.image)) {
    throw new Error(`${what("image")}: got ${JSON.stringify(props.image)}; allowed: ${PINNED_IMAGE_ALLOWED}`);
  }
  validateEnv(what, props);
  if (!Array.isArray(props.callers)) {
    throw new Error(
      `${what("callers")}: got ${JSON.stringify(props.callers)}; allowed: the pods' callers, e.g. [{ peer: Peer.pods({ "app.kubernetes.io/name": "web" }), ports: [8080] }] ([] when nothing calls them)`,
    );
  }
}

/**
 * Opt-outs from the restricted security defaults. Each one weakens isolation:
 * set it only for an image that cannot work otherwise, and say why next to it.
 */
export interface WorkloadSecurity {
  /**
   * UID the containers run as. A numeric UID lets the kubelet enforce
   * `runAsNonRoot` even for images whose `USER` is a name.
   * @default - the construct's default UID
   */
  readonly runAsUser?: number;
  /**
   * GID the containers run as.
   * @default - same as runAsUser
   */
  readonly runAsGroup?: number;
  /**
   * GID that owns mounted volumes (`fsGroup`).
   * @default - same as runAsGroup
   */
  readonly fsGroup?: number;
  /**
   * Run as root (UID 0). Also requires a namespace whose Pod Security level is
   * `baseline` or `privileged`.
   * @default false
   */
  readonly allowRunAsRoot?: boolean;
  /**
   * Make the root filesystem writable, for images that write outside their volumes.
   * @default false
   */
  readonly writableRootFilesystem?: boolean;
}

/** Where Prometheus scrapes the service's metrics. */
export interface MetricsEndpoint {
  /**
   * Port serving metrics.
   * @default - the service's HTTP port
   */
  readonly port?: number;
  /**
   * HTTP path of the metrics.
   * @default "/metrics"
   */
  readonly path?: string;
}

/** The Prometheus scrape annotations of the pods (none without metrics). */
export function scrapeAnnotations(metrics: MetricsEndpoint | undefined, defaultPort: number): Record<string, string> {
  if (metrics === undefined) return {};
  return {
    "prometheus.io/scrape": "true",
    "prometheus.io/port": String(metrics.port ?? defaultPort),
    "prometheus.io/path": metrics.path ?? "/metrics",
  };
}

/** Graceful shutdown. */
export interface WorkloadShutdown {
  /**
   * Seconds between SIGTERM and SIGKILL. The image must finish in-flight work
   * and exit within this time.
   * @default - the construct's default
   */
  readonly terminationGracePeriodSeconds?: number;
  /**
   * Seconds the kubelet waits (native `sleep` preStop action) before sending
   * SIGTERM, so endpoints and the ingress stop routing to the pod first.
   * Must be shorter than the grace period.
   * @default - no preStop sleep
   */
  readonly preStopSleepSeconds?: number;
  /**
   * Command run before SIGTERM (e.g. draining a broker node). Mutually
   * exclusive with {@link preStopSleepSeconds}.
   * @default - no preStop command
   */
  readonly preStopCommand?: string[];
}

/** Files from a ConfigMap or Secret mounted read-only into the main container. */
export interface FileMount {
  /** Volume name inside the pod. */
  readonly name: string;
  /**
   * ConfigMap to mount; exactly one of configMapName or secretName.
   * @default - none
   */
  readonly configMapName?: string;
  /**
   * Secret to mount (files 0440, readable through the pod's fsGroup); exactly
   * one of configMapName or secretName.
   * @default - none
   */
  readonly secretName?: string;
  readonly mountPath: string;
  /**
   * Mount only this key, as the file `mountPath` (a `subPath` mount), instead
   * of the whole object as a directory.
   * @default - the whole ConfigMap or Secret as a directory
   */
  readonly subPath?: string;
}

/** {@link WorkloadSecurity} with every default applied. */
export interface ResolvedSecurity {
  readonly root: boolean;
  readonly uid: number;
  readonly gid: number;
  readonly fsGroup: number;
  readonly readOnlyRootFilesystem: boolean;
}

/** Applies the defaults of {@link WorkloadSecurity}; root forces UID/GID 0. */
export function resolveSecurity(security: WorkloadSecurity | undefined, defaultUid: number): ResolvedSecurity {
  const s = security ?? {};
  const root = s.allowRunAsRoot ?? false;
  const uid = root ? 0 : (s.runAsUser ?? defaultUid);
  const gid = root ? 0 : (s.runAsGroup ?? uid);
  return { root, uid, gid, fsGroup: root ? 0 : (s.fsGroup ?? gid), readOnlyRootFilesystem: !(s.writableRootFilesystem ?? false) };
}

/** The restricted container security context, with the opt-outs of `s`. */
export function containerSecurityContext(s: ResolvedSecurity): k8s.SecurityContext {
  return {
    runAsNonRoot: !s.root,
    runAsUser: s.uid,
    runAsGroup: s.gid,
    readOnlyRootFilesystem: s.readOnlyRootFilesystem,
    allowPrivilegeEscalation: false,
    privileged: false,
    capabilities: { drop: ["ALL"] },
    seccompProfile: { type: "RuntimeDefault" },
  };
}

/**
 * The Kubernetes form of an environment: pod fields first, then Secret
 * references, then plain values, so plain values can use `$(VAR)` on either.
 */
export function kubeEnv(e: WorkloadEnv): { env: k8s.EnvVar[]; envFrom?: k8s.EnvFromSource[] } {
  return {
    env: [
      ...Object.entries(e.envFromFields ?? {}).map(([name, fieldPath]) => ({ name, valueFrom: { fieldRef: { fieldPath } } })),
      ...Object.entries(e.envFromSecrets ?? {}).map(([name, ref]) => ({
        name,
        valueFrom: { secretKeyRef: { name: ref.secretName, key: ref.key } },
      })),
      ...Object.entries(e.env ?? {}).map(([name, value]) => ({ name, value })),
    ],
    envFrom: e.envFromConfigMaps?.map((name) => ({ configMapRef: { name } })),
  };
}

/** Volumes and read-only mounts of {@link FileMount}s. */
export function fileMountVolumes(mounts: readonly FileMount[]): { volumes: k8s.Volume[]; volumeMounts: k8s.VolumeMount[] } {
  return {
    volumeMounts: mounts.map((f) => ({ name: f.name, mountPath: f.mountPath, subPath: f.subPath, readOnly: true })),
    // Secret files are 0440: owned by root, readable through the pod's fsGroup.
    volumes: mounts.map((f) =>
      f.configMapName
        ? { name: f.name, configMap: { name: f.configMapName } }
        : { name: f.name, secret: { secretName: f.secretName, defaultMode: 0o440 } },
    ),
  };
}

const ABSOLUTE_PATH = /^\/[A-Za-z0-9._~/-]*$/;

/** Rejects bad volume names, a mount that is not exactly one of ConfigMap or Secret, and relative paths. */
export function validateFileMounts(what: (key: string) => string, mounts: readonly FileMount[]): void {
  for (const f of mounts) {
    assertDnsLabel(what("fileMounts name"), f.name);
    if ((f.configMapName === undefined) === (f.secretName === undefined)) {
      throw new Error(`${what(`fileMounts ${f.name}`)}: allowed: exactly one of configMapName or secretName`);
    }
    assertAbsolutePath(what(`fileMounts ${f.name} mountPath`), f.mountPath);
  }
}

export function assertAbsolutePath(what: string, path: string): void {
  if (!ABSOLUTE_PATH.test(path)) throw new Error(`${what}: got ${JSON.stringify(path)}; allowed: an absolute path`);
}

const ENV_NAME = /^[A-Za-z_][A-Za-z0-9_]*$/;
const HTTP_PATH = /^\/[A-Za-z0-9._~/?=&%-]*$/;

/** Rejects bad variable names, a variable set twice and malformed references. */
export function validateEnv(what: (key: string) => string, e: WorkloadEnv): void {
  const names = [...Object.keys(e.envFromFields ?? {}), ...Object.keys(e.env ?? {}), ...Object.keys(e.envFromSecrets ?? {})];
  for (const name of names) {
    if (!ENV_NAME.test(name)) {
      throw new Error(`${what("env")}: got ${JSON.stringify(name)}; allowed: an environment variable name ([A-Za-z_][A-Za-z0-9_]*)`);
    }
  }
  const duplicate = names.find((n, i) => names.indexOf(n) !== i);
  if (duplicate) throw new Error(`${what("env")}: ${JSON.stringify(duplicate)} is defined twice; allowed: one source per variable`);
  for (const [name, path] of Object.entries(e.envFromFields ?? {})) {
    if (!/^(metadata|spec|status)\.[A-Za-z.[\]'/-]+$/.test(path)) {
      throw new Error(`${what(`envFromFields ${name}`)}: got ${JSON.stringify(path)}; allowed: a pod field path such as metadata.name`);
    }
  }
  for (const ref of Object.values(e.envFromSecrets ?? {})) assertDnsSubdomain(what("envFromSecrets secretName"), ref.secretName);
  for (const cm of e.envFromConfigMaps ?? []) assertDnsSubdomain(what("envFromConfigMaps"), cm);
}

/** Rejects out-of-range security settings and root combined with a UID. */
export function validateSecurity(what: (key: string) => string, s: WorkloadSecurity | undefined): void {
  if (s === undefined) return;
  for (const key of ["runAsUser", "runAsGroup", "fsGroup"] as const) {
    if (s[key] !== undefined) assertIntegerInRange(what(`security.${key}`), s[key], 1, 2147483647);
  }
  if (s.allowRunAsRoot && (s.runAsUser !== undefined || s.runAsGroup !== undefined || s.fsGroup !== undefined)) {
    throw new Error(`${what("security")}: allowRunAsRoot cannot be combined with runAsUser/runAsGroup/fsGroup; allowed: one of them`);
  }
}

/** Rejects a grace period out of range, a preStop sleep not shorter than it, or two preStop actions. */
export function validateShutdown(what: (key: string) => string, s: WorkloadShutdown | undefined, defaultGrace: number): void {
  const grace = s?.terminationGracePeriodSeconds ?? defaultGrace;
  assertIntegerInRange(what("shutdown.terminationGracePeriodSeconds"), grace, 1, 3600);
  if (s?.preStopSleepSeconds !== undefined) {
    assertIntegerInRange(what("shutdown.preStopSleepSeconds"), s.preStopSleepSeconds, 1, grace - 1);
    if (s.preStopCommand !== undefined) {
      throw new Error(`${what("shutdown")}: both preStopSleepSeconds and preStopCommand are set; allowed: one preStop action`);
    }
  }
  if (s?.preStopCommand !== undefined && s.preStopCommand.length === 0) {
    throw new Error(`${what("shutdown.preStopCommand")}: got []; allowed: a command and its arguments`);
  }
}

/**
 * The Kubernetes form of `probe`, checked against what the API server accepts
 * (so a bad probe fails at synth, not at apply). cdk8s-plus converts probes
 * only for its own containers; the low-level objects (StatefulSet, DaemonSet)
 * need the plain form.
 */
export function probeToKube(what: string, kind: keyof WorkloadProbes, probe: kplus.Probe): k8s.Probe {
  // cdk8s-plus fills a missing port from the container, or 80: converted for
  // two different container ports, a probe without its own port shows.
  const kube = probe._toKube(new kplus.Container({ image: "probe", portNumber: 1 }));
  const other = probe._toKube(new kplus.Container({ image: "probe", portNumber: 2 }));
  const target = kube.httpGet?.port ?? kube.tcpSocket?.port;
  if (target !== undefined && target.value !== (other.httpGet?.port ?? other.tcpSocket?.port)?.value) {
    throw new Error(`${what} ${kind} probe: got a probe without a port; allowed: a probe that names its port (e.g. kplus.Probe.fromTcpSocket({ port: 8080 }))`);
  }
  if (target !== undefined) assertIntegerInRange(`${what} ${kind} probe port`, Number(target.value), 1, 65535);
  if (kube.httpGet !== undefined && !HTTP_PATH.test(kube.httpGet.path ?? "")) {
    throw new Error(`${what} ${kind} probe path: got ${JSON.stringify(kube.httpGet.path)}; allowed: an absolute HTTP path such as /healthz`);
  }
  if (kind !== "readiness" && (kube.successThreshold ?? 1) !== 1) {
    // The API server rejects the object otherwise.
    throw new Error(`${what} ${kind} probe successThreshold: got ${kube.successThreshold}; allowed: 1 (only a readiness probe may need several successes)`);
  }
  return kube;
}

/**
 * The native `sleep` preStop action (GA in Kubernetes 1.34) needs no `sleep`
 * binary in the image, which distroless images lack. cdk8s-plus-28's typed
 * serializers know only the 1.28 API and drop both the field and JSON patches
 * that add it, so it is added to the serialized object (a Deployment,
 * StatefulSet or DaemonSet) instead.
 */
export function addPreStopSleep(workload: ApiObject, seconds: number): void {
  const serialize = workload.toJson.bind(workload);
  workload.toJson = () => {
    const json = serialize();
    for (const c of json.spec.template.spec.containers) c.lifecycle = { ...c.lifecycle, preStop: { sleep: { seconds } } };
    return json;
  };
}

const LABEL_KEY = /^([a-z0-9]([-a-z0-9]*[a-z0-9])?(\.[a-z0-9]([-a-z0-9]*[a-z0-9])?)*\/)?[A-Za-z0-9]([-A-Za-z0-9_.]{0,61}[A-Za-z0-9])?$/;
const LABEL_VALUE = /^([A-Za-z0-9]([-A-Za-z0-9_.]{0,61}[A-Za-z0-9])?)?$/;

/** Rejects an empty label set (it would select every pod) and malformed keys or values. */
export function validateLabels(what: string, labels: Record<string, string>): void {
  if (Object.keys(labels).length === 0) throw new Error(`${what}: got {}; allowed: at least one label (an empty selector matches every pod)`);
  for (const [key, value] of Object.entries(labels)) {
    if (!LABEL_KEY.test(key) || !LABEL_VALUE.test(value)) {
      throw new Error(`${what}: got ${JSON.stringify(`${key}=${value}`)}; allowed: Kubernetes label keys and values (e.g. app.kubernetes.io/name=notebook)`);
    }
  }
}

/** Extra labels of a workload: valid, and not the ones the construct owns (its selector, its part-of). */
export function validateExtraLabels(what: string, labels: Record<string, string>): void {
  validateLabels(what, labels);
  for (const owned of ["app.kubernetes.io/name", "app.kubernetes.io/part-of"]) {
    if (owned in labels) throw new Error(`${what}: got ${JSON.stringify(owned)}; allowed: labels other than ${owned} (set by the name and partOf props)`);
  }
}
