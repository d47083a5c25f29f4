import { ApiObject } from "cdk8s";
import * as k8s from "cdk8s-plus-28/lib/imports/k8s";
import { Construct } from "constructs";
import { withWebIdentity } from "../lib/aws-web-identity";
import { CallerPolicy } from "./caller-policy";
import { assertDnsLabel, assertDnsSubdomain, assertIntegerInRange } from "./names";
import { ResourceSpec, resourceSpecProblems, toKubeResources } from "./resources";
import {
  addPreStopSleep,
  assertAbsolutePath,
  containerSecurityContext,
  FileMount,
  fileMountVolumes,
  kubeEnv,
  probeToKube,
  resolveSecurity,
  validateFileMounts,
  validateSecurity,
  validateShutdown,
  validateWorkloadBase,
  WorkloadBase,
  workloadLabels,
  WorkloadProbes,
  WorkloadSecurity,
  WorkloadShutdown,
} from "./workload-props";

/** A container port of a {@link HostDaemonSet}. */
export interface HostDaemonSetPort {
  /** IANA-style port name (at most 15 characters), e.g. `metrics`. */
  readonly name: string;
  readonly port: number;
  /**
   * Also bind the port on the node's address (with host networking it is bound there anyway).
   * @default false
   */
  readonly hostPort?: boolean;
}

/** A directory or file of the node mounted into the container. */
export interface HostMount {
  /** Volume name inside the pod. */
  readonly name: string;
  /** Path on the node. */
  readonly hostPath: string;
  /** Path in the container. */
  readonly mountPath: string;
  /**
   * Mount read-only.
   * @default true
   */
  readonly readOnly?: boolean;
  /**
   * What must exist at `hostPath` (`Directory`, `DirectoryOrCreate`, ...), checked by the kubelet.
   * @default - no check
   */
  readonly type?: "Directory" | "DirectoryOrCreate" | "File" | "FileOrCreate" | "Socket";
  /**
   * `HostToContainer`: mounts the host makes after the pod started show up in
   * the container too (e.g. a node-exporter reading every filesystem).
   * @default - none (the mounts of pod start only)
   */
  readonly mountPropagation?: "HostToContainer";
}

/** Props of {@link HostDaemonSet}. */
export interface HostDaemonSetProps extends WorkloadBase {
  /** Ports the container listens on; at least one. */
  readonly ports: HostDaemonSetPort[];
  /** Readiness and liveness (both required) and an optional startup probe. */
  readonly probes: WorkloadProbes;
  /** CPU and memory requests and limits. */
  readonly resources: ResourceSpec;
  /**
   * Use the node's network namespace: for metrics about the node's own
   * interfaces, scraped at the node's address. NetworkPolicies do not apply to
   * such pods: {@link callers} must be empty, and no policy is emitted.
   * @default false
   */
  readonly hostNetwork?: boolean;
  /**
   * Use the node's PID namespace: for per-process statistics of the host.
   * @default false
   */
  readonly hostPid?: boolean;
  /**
   * Node paths mounted into the container. Any host path requires the
   * `privileged` Pod Security level of the namespace.
   * @default - none
   */
  readonly hostMounts?: HostMount[];
  /**
   * ConfigMaps and Secrets mounted as files.
   * @default - none
   */
  readonly fileMounts?: FileMount[];
  /**
   * Taints the pods tolerate. The default runs on every node (control plane
   * and tainted pools included): a node agent missing on some nodes leaves
   * holes in the logs or metrics.
   * @default [{ operator: "Exists" }]
   */
  readonly tolerations?: k8s.Toleration[];
  /**
   * Priority class: a node agent must not be the pod evicted or left pending on a full node.
   * @default "system-node-critical"
   */
  readonly priorityClassName?: string;
  /**
   * Mount the ServiceAccount token, for agents that call the Kubernetes API.
   * @default false
   */
  readonly automountServiceAccountToken?: boolean;
  /**
   * IAM role the pods assume with a projected service-account token for STS
   * (lib/aws-web-identity.ts): the token volume, and AWS_ROLE_ARN and
   * AWS_WEB_IDENTITY_TOKEN_FILE on the main container. The role must trust this
   * workload's service account (its name is the workload's).
   * @default - no AWS credentials (the node's role is out of reach: IMDS hop limit 1)
   */
  readonly awsRoleArn?: string;
  /**
   * Opt-outs from the security defaults. With host mounts, root may be the
   * only user that can read what the host wrote; it gets no capabilities.
   * @default - restricted: non-root UID and GID 65534 (`nobody`), no fsGroup (host paths are never chowned), read-only root filesystem, no privilege escalation, all capabilities dropped, RuntimeDefault seccomp
   */
  readonly security?: WorkloadSecurity;
  /**
   * Graceful shutdown (e.g. time to flush a buffer).
   * @default - 30 s grace period, no preStop hook
   */
  readonly shutdown?: WorkloadShutdown;
  /**
   * Share of nodes whose pod is replaced at the same time during a rollout.
   * @default "10%"
   */
  readonly maxUnavailable?: string;
}

const PORT_NAME = /^[a-z]([-a-z0-9]{0,13}[a-z0-9])?$/;
const PERCENT = /^([1-9][0-9]?|100)%$/;
const NOBODY = 65534;
const DEFAULT_GRACE_SECONDS = 30;

/**
 * A node agent (metrics exporter, log collector) on every node: a DaemonSet
 * with the host namespaces and host paths it declares, tolerating every taint
 * at `system-node-critical` priority, a dedicated ServiceAccount and the
 * restricted security context unless it opts out.
 *
 * cdk8s-plus-28's DaemonSet has no host PID namespace nor mount propagation,
 * hence the typed low-level objects.
 */
export class HostDaemonSet extends Construct {
  readonly daemonSet: k8s.KubeDaemonSet;
  readonly serviceAccount: k8s.KubeServiceAccount;
  /** Labels that select this DaemonSet's pods. */
  readonly selectorLabels: Readonly<Record<string, string>>;
  /** Name of the ServiceAccount, for RBAC bindings. */
  readonly serviceAccountName: string;
  /**
   * The NetworkPolicy admitting the callers (`<name>-callers`); undefined with
   * host networking, where NetworkPolicies do not apply.
   */
  readonly callerPolicy?: CallerPolicy;

  constructor(scope: Construct, id: string, props: HostDaemonSetProps) {
    super(scope, id);
    validate(props);
    const { selector, labels } = workloadLabels(props);
    this.selectorLabels = selector;
    const metadata = { name: props.name, namespace: props.namespace, labels };
    const automount = props.automountServiceAccountToken ?? false;
    this.serviceAccountName = props.name;
    this.serviceAccount = new k8s.KubeServiceAccount(this, "ServiceAccount", { metadata, automountServiceAccountToken: automount });

    this.daemonSet = new k8s.KubeDaemonSet(this, "DaemonSet", {
      metadata,
      spec: {
        selector: { matchLabels: { ...this.selectorLabels } },
        updateStrategy: { type: "RollingUpdate", rollingUpdate: { maxUnavailable: k8s.IntOrString.fromString(props.maxUnavailable ?? "10%") } },
        template: {
          metadata: { labels },
          spec: props.awsRoleArn === undefined ? podSpec(props) : withWebIdentity(podSpec(props), props.awsRoleArn, [props.name]),
        },
      },
    });
    if (props.shutdown?.preStopSleepSeconds !== undefined) addPreStopSleep(ApiObject.of(this.daemonSet), props.shutdown.preStopSleepSeconds);
    if (!props.hostNetwork) {
      this.callerPolicy = new CallerPolicy(this, "Callers", {
        name: `${props.name}-callers`,
        namespace: props.namespace,
        podSelector: this.selectorLabels,
        labels,
        callers: props.callers,
      });
    }
  }
}

function podSpec(props: HostDaemonSetProps): k8s.PodSpec {
  // Host paths are not chowned, so a group owning volumes only when asked for.
  const security = resolveSecurity(props.security, NOBODY);
  const fsGroup = props.security?.fsGroup;
  const { env, envFrom } = kubeEnv(props);
  const files = fileMountVolumes(props.fileMounts ?? []);
  const hostMounts = props.hostMounts ?? [];
  const preStop = props.shutdown?.preStopCommand;
  const what = `HostDaemonSet ${JSON.stringify(props.name)}: probes`;
  const probe = (kind: keyof WorkloadProbes) => {
    const p = props.probes[kind];
    return p && probeToKube(what, kind, p);
  };
  return {
    serviceAccountName: props.name,
    automountServiceAccountToken: props.automountServiceAccountToken ?? false,
    hostNetwork: props.hostNetwork,
    hostPid: props.hostPid,
    // With the host's network, cluster DNS names resolve only with this policy.
    dnsPolicy: props.hostNetwork ? "ClusterFirstWithHostNet" : undefined,
    priorityClassName: props.priorityClassName ?? "system-node-critical",
    tolerations: props.tolerations ?? [{ operator: "Exists" }],
    terminationGracePeriodSeconds: props.shutdown?.terminationGracePeriodSeconds ?? DEFAULT_GRACE_SECONDS,
    securityContext: {
      runAsNonRoot: !security.root,
      runAsUser: security.uid,
      runAsGroup: security.gid,
      ...(fsGroup !== undefined ? { fsGroup, fsGroupChangePolicy: "OnRootMismatch" } : {}),
      seccompProfile: { type: "RuntimeDefault" },
    },
    containers: [
      {
        name: props.name,
        image: props.image,
        // A pinned image never changes under its tag.
        imagePullPolicy: "IfNotPresent",
        args: props.args,
        env: env.length > 0 ? env : undefined,
        envFrom,
        ports: props.ports.map((p) => ({ name: p.name, containerPort: p.port, hostPort: p.hostPort ? p.port : undefined })),
        readinessProbe: probe("readiness"),
        livenessProbe: probe("liveness"),
        startupProbe: probe("startup"),
        resources: toKubeResources(props.resources),
        securityContext: containerSecurityContext(security),
        lifecycle: preStop ? { preStop: { exec: { command: preStop } } } : undefined,
        volumeMounts: [
          ...files.volumeMounts,
          ...hostMounts.map((m) => ({ name: m.name, mountPath: m.mountPath, readOnly: m.readOnly ?? true, mountPropagation: m.mountPropagation })),
        ],
      },
    ],
    volumes: [...files.volumes, ...hostMounts.map((m) => ({ name: m.name, hostPath: { path: m.hostPath, type: m.type } }))],
  };
}

function validate(props: HostDaemonSetProps): void {
  const what = (key: string) => `HostDaemonSet ${JSON.stringify(props.name)}: ${key}`;
  validateWorkloadBase("HostDaemonSet", what, props);
  if (props.ports.length === 0) throw new Error(`${what("ports")}: got []; allowed: at least one port`);
  if (props.hostNetwork && props.callers.length > 0) {
    // Calico (like every NetworkPolicy implementation) does not police host-network
    // pods: a caller list would promise a wall that is not there.
    throw new Error(
      `${what("callers")}: got ${props.callers.length} with hostNetwork; allowed: [] (a host-network pod is outside NetworkPolicy; the node's security group decides who reaches its ports)`,
    );
  }
  for (const p of props.ports) {
    if (!PORT_NAME.test(p.name)) {
      throw new Error(`${what("ports name")}: got ${JSON.stringify(p.name)}; allowed: a port name (lower-case letters, digits and '-', at most 15 characters)`);
    }
    assertIntegerInRange(what(`ports ${p.name}`), p.port, 1, 65535);
  }
  if (props.probes.readiness === undefined || props.probes.liveness === undefined) {
    throw new Error(`${what("probes")}: allowed: readiness and liveness probes (every long-running workload has both)`);
  }
  const problems = resourceSpecProblems(what("resources"), props.resources);
  if (problems.length > 0) throw new Error(problems.join("\n"));
  validateFileMounts(what, props.fileMounts ?? []);
  const volumeNames = [...(props.fileMounts ?? []).map((f) => f.name)];
  for (const m of props.hostMounts ?? []) {
    assertDnsLabel(what("hostMounts name"), m.name);
    assertAbsolutePath(what(`hostMounts ${m.name} hostPath`), m.hostPath);
    assertAbsolutePath(what(`hostMounts ${m.name} mountPath`), m.mountPath);
    if (volumeNames.includes(m.name)) throw new Error(`${what("hostMounts name")}: ${JSON.stringify(m.name)} is used twice; allowed: one volume per name`);
    volumeNames.push(m.name);
    if (m.mountPropagation !== undefined && m.mountPropagation !== "HostToContainer") {
      // Bidirectional would let the container mount onto the host: privileged only.
      throw new Error(`${what(`hostMounts ${m.name} mountPropagation`)}: got ${JSON.stringify(m.mountPropagation)}; allowed: HostToContainer`);
    }
  }
  if (props.priorityClassName !== undefined) assertDnsSubdomain(what("priorityClassName"), props.priorityClassName);
  if (props.maxUnavailable !== undefined && !PERCENT.test(props.maxUnavailable)) {
    throw new Error(`${what("maxUnavailable")}: got ${JSON.stringify(props.maxUnavailable)}; allowed: a percentage from 1% to 100%`);
  }
  validateSecurity(what, props.security);
  validateShutdown(what, props.shutdown, DEFAULT_GRACE_SECONDS);
}
