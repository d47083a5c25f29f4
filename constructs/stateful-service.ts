import { ApiObject } from "cdk8s";
import * as k8s from "cdk8s-plus-28/lib/imports/k8s";
import { Construct } from "constructs";
import { assertDnsLabel, assertDnsSubdomain, assertIntegerInRange } from "./names";
import { CallerPolicy, Peer } from "./caller-policy";
import { memoryMebibytes, ResourceSpec, resourceSpecProblems, toKubeResources } from "./resources";
import {
  addPreStopSleep,
  assertAbsolutePath,
  containerSecurityContext,
  FileMount,
  fileMountVolumes,
  kubeEnv,
  MetricsEndpoint,
  probeToKube,
  ResolvedSecurity,
  resolveSecurity,
  scrapeAnnotations,
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

/** A named container port, published on both Services. */
export interface StatefulServicePort {
  /** IANA-style port name (at most 15 characters), e.g. `amqp`. */
  readonly name: string;
  readonly port: number;
}

/** One PersistentVolumeClaim per pod, created from the StatefulSet's `volumeClaimTemplates`. */
export interface StatefulVolumeClaim {
  /** Name of the claim template (the PVC is `<name>-<statefulset>-<ordinal>`). */
  readonly name: string;
  /** Where the volume is mounted in the main container. */
  readonly mountPath: string;
  /** Requested size, e.g. `10Gi`. */
  readonly size: string;
  /** StorageClass that provisions the volume. */
  readonly storageClassName: string;
}

/** A container of a {@link StatefulService} that runs to completion before the main one. */
export interface StatefulInitContainer {
  readonly name: string;
  readonly command: string[];
  /**
   * Volumes to mount, by volume name (claim, file mount or scratch dir name),
   * e.g. a scratch dir at another path to fill it from the image.
   * @default - the main container's mounts
   */
  readonly mounts?: Array<{ readonly volume: string; readonly mountPath: string }>;
}

/** Props of {@link StatefulService}. */
export interface StatefulServiceProps extends WorkloadBase {
  /**
   * Entrypoint override.
   * @default - the image's ENTRYPOINT
   */
  readonly command?: string[];
  /**
   * Number of pods. Each gets its own volumes.
   * @default 1
   */
  readonly replicas?: number;
  /** Ports the container listens on; at least one. */
  readonly ports: StatefulServicePort[];
  /** Per-pod persistent volumes; at least one (otherwise use a Deployment). */
  readonly volumeClaims: StatefulVolumeClaim[];
  /** Probes of the main container; readiness and liveness are required (a database has no sensible default). */
  readonly probes: WorkloadProbes;
  /** CPU and memory requests and limits of the main container (a database has no sensible default). */
  readonly resources: ResourceSpec;
  /**
   * ConfigMaps and Secrets mounted as files.
   * @default - none
   */
  readonly fileMounts?: FileMount[];
  /**
   * Writable scratch directories (emptyDir), by volume name to mount path.
   * `/tmp` is always mounted because the root filesystem is read-only.
   * @default - only /tmp
   */
  readonly scratchDirs?: Record<string, string>;
  /**
   * Containers run to completion before the main one, with the main
   * container's image, security context and env, and its requests as their
   * requests and limits.
   * @default - none
   */
  readonly initContainers?: StatefulInitContainer[];
  /**
   * Opt-outs from the security defaults; `runAsUser` must match the owner of
   * the image's data directory.
   * @default - restricted: non-root UID and GID 999, read-only root filesystem, no privilege escalation, all capabilities dropped, RuntimeDefault seccomp
   */
  readonly security?: WorkloadSecurity;
  /**
   * Graceful shutdown: a database flushes to disk within the grace period.
   * @default - 60 s grace period, no preStop hook
   */
  readonly shutdown?: WorkloadShutdown;
  /**
   * `Parallel` starts every pod at once: needed when pods wait for each other
   * to become ready (clustered brokers); `OrderedReady` starts them one by one.
   * @default "OrderedReady"
   */
  readonly podManagementPolicy?: "OrderedReady" | "Parallel";
  /**
   * Annotations on the pod template.
   * @default - none
   */
  readonly podAnnotations?: Record<string, string>;
  /**
   * Publish Prometheus scrape annotations on the pods, and admit Prometheus to
   * the metrics port (a caller of its own).
   * @default - no scrape annotations
   */
  readonly metrics?: MetricsEndpoint;
  /**
   * Name of a Secret holding registry credentials (`kubernetes.io/dockerconfigjson`).
   * @default - none
   */
  readonly imagePullSecret?: string;
}

const PORT_NAME = /^[a-z]([-a-z0-9]{0,13}[a-z0-9])?$/;
const DEFAULT_UID = 999;
const DEFAULT_GRACE_SECONDS = 60;

/** The props in the form the pod spec takes them. */
interface Normalized {
  readonly security: ResolvedSecurity;
  readonly shutdown: WorkloadShutdown;
  readonly probes: { readiness?: k8s.Probe; liveness?: k8s.Probe; startup?: k8s.Probe };
}

function normalize(props: StatefulServiceProps): Normalized {
  const what = `StatefulService ${JSON.stringify(props.name)}: probes`;
  const probe = (kind: keyof WorkloadProbes) => {
    const p = props.probes[kind];
    return p ? probeToKube(what, kind, p) : undefined;
  };
  return {
    security: resolveSecurity(props.security, DEFAULT_UID),
    shutdown: props.shutdown ?? {},
    probes: { readiness: probe("readiness"), liveness: probe("liveness"), startup: probe("startup") },
  };
}

/**
 * A clustered or single-node stateful server (broker, database, search engine):
 * a StatefulSet whose pods each get their own PersistentVolumeClaims from
 * `volumeClaimTemplates`, a headless Service giving every pod a stable DNS name
 * (`<pod>.<name>-headless.<namespace>.svc`), a client Service, a dedicated
 * ServiceAccount without API token, the restricted security context, and a
 * PodDisruptionBudget when there is more than one replica.
 *
 * cdk8s-plus-28's StatefulSet cannot declare volumeClaimTemplates, hence the
 * typed low-level objects.
 */
export class StatefulService extends Construct {
  readonly statefulSet: k8s.KubeStatefulSet;
  /** Headless Service that names each pod; `serviceName` of the StatefulSet. */
  readonly headlessService: k8s.KubeService;
  /** ClusterIP Service clients connect to. */
  readonly service: k8s.KubeService;
  readonly serviceAccount: k8s.KubeServiceAccount;
  readonly podDisruptionBudget?: k8s.KubePodDisruptionBudget;
  /** The NetworkPolicy admitting the callers (`<name>-callers`); `allow` admits more. */
  readonly callerPolicy: CallerPolicy;
  readonly selectorLabels: Readonly<Record<string, string>>;
  /** Name of the client Service. */
  readonly serviceName: string;
  /** Name of the headless Service. */
  readonly headlessServiceName: string;
  readonly replicas: number;

  constructor(scope: Construct, id: string, props: StatefulServiceProps) {
    super(scope, id);
    validate(props);
    const n = normalize(props);
    const replicas = props.replicas ?? 1;
    this.replicas = replicas;
    this.serviceName = props.name;
    this.headlessServiceName = `${props.name}-headless`;
    const { selector, labels } = workloadLabels(props);
    this.selectorLabels = selector;
    const meta = (name: string) => ({ name, namespace: props.namespace, labels });
    const servicePorts = props.ports.map((p) => ({
      name: p.name,
      port: p.port,
      targetPort: k8s.IntOrString.fromString(p.name),
    }));

    this.serviceAccount = new k8s.KubeServiceAccount(this, "ServiceAccount", {
      metadata: meta(props.name),
      automountServiceAccountToken: false,
    });

    this.headlessService = new k8s.KubeService(this, "HeadlessService", {
      metadata: meta(this.headlessServiceName),
      spec: {
        clusterIp: "None",
        // Peers must resolve each other while still starting up (cluster
        // formation happens before readiness).
        publishNotReadyAddresses: true,
        selector: { ...this.selectorLabels },
        ports: servicePorts,
      },
    });
    this.service = new k8s.KubeService(this, "Service", {
      metadata: meta(props.name),
      spec: { type: "ClusterIP", selector: { ...this.selectorLabels }, ports: servicePorts },
    });

    this.statefulSet = new k8s.KubeStatefulSet(this, "StatefulSet", {
      metadata: meta(props.name),
      spec: {
        serviceName: this.headlessServiceName,
        replicas,
        podManagementPolicy: props.podManagementPolicy ?? "OrderedReady",
        selector: { matchLabels: { ...this.selectorLabels } },
        updateStrategy: { type: "RollingUpdate" },
        template: { metadata: { labels, annotations: podAnnotations(props) }, spec: this.podSpec(props, n) },
        volumeClaimTemplates: props.volumeClaims.map((c) => ({
          metadata: { name: c.name, labels },
          spec: {
            accessModes: ["ReadWriteOnce"],
            storageClassName: c.storageClassName,
            resources: { requests: { storage: k8s.Quantity.fromString(c.size) } },
          },
        })),
      },
    });
    if (n.shutdown.preStopSleepSeconds !== undefined) addPreStopSleep(ApiObject.of(this.statefulSet), n.shutdown.preStopSleepSeconds);

    const metricsPort = props.metrics?.port ?? props.ports[0].port;
    this.callerPolicy = new CallerPolicy(this, "Callers", {
      name: `${props.name}-callers`,
      namespace: props.namespace,
      podSelector: this.selectorLabels,
      labels,
      callers: [...props.callers, ...(props.metrics ? [{ peer: Peer.prometheus(), ports: [metricsPort] }] : [])],
    });

    if (replicas > 1) {
      this.podDisruptionBudget = new k8s.KubePodDisruptionBudget(this, "DisruptionBudget", {
        metadata: meta(props.name),
        spec: { maxUnavailable: k8s.IntOrString.fromNumber(1), selector: { matchLabels: { ...this.selectorLabels } } },
      });
    }
  }

  /** DNS name of pod `ordinal` through the headless Service (namespace-relative). */
  podHost(ordinal: number): string {
    return `${this.serviceName}-${ordinal}.${this.headlessServiceName}`;
  }

  private podSpec(props: StatefulServiceProps, n: Normalized): k8s.PodSpec {
    const { env, envFrom } = kubeEnv(props);
    const { volumes, volumeMounts } = podVolumes(props);
    const securityContext = containerSecurityContext(n.security);
    const resources = toKubeResources(props.resources);
    const preStop = n.shutdown.preStopCommand;
    return {
      serviceAccountName: props.name,
      automountServiceAccountToken: false,
      terminationGracePeriodSeconds: n.shutdown.terminationGracePeriodSeconds ?? DEFAULT_GRACE_SECONDS,
      imagePullSecrets: props.imagePullSecret ? [{ name: props.imagePullSecret }] : undefined,
      securityContext: {
        runAsNonRoot: !n.security.root,
        runAsUser: n.security.uid,
        runAsGroup: n.security.gid,
        fsGroup: n.security.fsGroup,
        // Skip the recursive chown of large data volumes on every start.
        fsGroupChangePolicy: "OnRootMismatch",
        seccompProfile: { type: "RuntimeDefault" },
      },
      affinity: (props.replicas ?? 1) > 1 ? spreadMembers(this.selectorLabels) : undefined,
      initContainers: props.initContainers?.map((c) => ({
        name: c.name,
        image: props.image,
        imagePullPolicy: "IfNotPresent",
        command: c.command,
        env,
        envFrom,
        volumeMounts: c.mounts ? c.mounts.map((m) => ({ name: m.volume, mountPath: m.mountPath })) : volumeMounts,
        securityContext,
        resources: { requests: resources.requests, limits: resources.requests },
      })),
      containers: [
        {
          name: props.name,
          image: props.image,
          // A pinned image never changes under its tag.
          imagePullPolicy: "IfNotPresent",
          command: props.command,
          args: props.args,
          ports: props.ports.map((p) => ({ name: p.name, containerPort: p.port })),
          env,
          envFrom,
          volumeMounts,
          readinessProbe: n.probes.readiness,
          livenessProbe: n.probes.liveness,
          startupProbe: n.probes.startup,
          resources,
          securityContext,
          lifecycle: preStop ? { preStop: { exec: { command: preStop } } } : undefined,
        },
      ],
      volumes,
    };
  }
}

/** The given pod annotations and the scrape annotations; none when both are empty. */
function podAnnotations(props: StatefulServiceProps): Record<string, string> | undefined {
  const annotations = { ...props.podAnnotations, ...scrapeAnnotations(props.metrics, props.ports[0].port) };
  return Object.keys(annotations).length > 0 ? annotations : undefined;
}

/** Spread replicas over nodes so one node loss takes at most one member. */
function spreadMembers(selectorLabels: Readonly<Record<string, string>>): k8s.Affinity {
  return {
    podAntiAffinity: {
      preferredDuringSchedulingIgnoredDuringExecution: [
        { weight: 100, podAffinityTerm: { topologyKey: "kubernetes.io/hostname", labelSelector: { matchLabels: { ...selectorLabels } } } },
      ],
    },
  };
}

function podVolumes(props: StatefulServiceProps): { volumes: k8s.Volume[]; volumeMounts: k8s.VolumeMount[] } {
  const scratch: Record<string, string> = { tmp: "/tmp", ...props.scratchDirs };
  const files = fileMountVolumes(props.fileMounts ?? []);
  const volumeMounts: k8s.VolumeMount[] = [
    ...props.volumeClaims.map((c) => ({ name: c.name, mountPath: c.mountPath })),
    ...files.volumeMounts,
    ...Object.entries(scratch).map(([name, mountPath]) => ({ name, mountPath })),
  ];
  const volumes: k8s.Volume[] = [...files.volumes, ...Object.keys(scratch).map((name) => ({ name, emptyDir: {} }))];
  return { volumes, volumeMounts };
}

function validate(props: StatefulServiceProps): void {
  const what = (key: string) => `StatefulService ${JSON.stringify(props.name)}: ${key}`;
  validateWorkloadBase("StatefulService", what, props);
  if (props.name.length > 52) {
    // The controller adds `-<ordinal>` and a revision hash label to pod names.
    throw new Error(`${what("name")}: got ${JSON.stringify(props.name)}; allowed: at most 52 characters`);
  }
  assertIntegerInRange(what("replicas"), props.replicas ?? 1, 1, 100);
  if (props.ports.length === 0) throw new Error(`${what("ports")}: got []; allowed: at least one port`);
  for (const p of props.ports) {
    if (!PORT_NAME.test(p.name)) {
      throw new Error(`${what("ports name")}: got ${JSON.stringify(p.name)}; allowed: a port name (lower-case letters, digits and '-', at most 15 characters)`);
    }
    assertIntegerInRange(what(`ports ${p.name}`), p.port, 1, 65535);
  }
  validateVolumes(what, props);
  if (props.metrics?.port !== undefined && !props.ports.some((p) => p.port === props.metrics?.port)) {
    throw new Error(`${what("metrics.port")}: got ${props.metrics.port}; allowed: one of the ports (${props.ports.map((p) => p.port).join(", ")})`);
  }
  if (props.probes?.readiness === undefined || props.probes.liveness === undefined) {
    throw new Error(`${what("probes")}: allowed: readiness and liveness probes (every long-running workload has both)`);
  }
  const problems = resourceSpecProblems(what("resources"), props.resources);
  if (problems.length > 0) throw new Error(problems.join("\n"));
  validateSecurity(what, props.security);
  validateShutdown(what, props.shutdown, DEFAULT_GRACE_SECONDS);
  if (props.imagePullSecret !== undefined) assertDnsSubdomain(what("imagePullSecret"), props.imagePullSecret);
}

function validateVolumes(what: (key: string) => string, props: StatefulServiceProps): void {
  if (props.volumeClaims.length === 0) {
    throw new Error(`${what("volumeClaims")}: got []; allowed: at least one claim (a server without state belongs in a Deployment)`);
  }
  for (const c of props.volumeClaims) {
    assertDnsLabel(what("volumeClaims name"), c.name);
    assertDnsSubdomain(what(`volumeClaims ${c.name} storageClassName`), c.storageClassName);
    if (memoryMebibytes(c.size) === undefined) {
      throw new Error(`${what(`volumeClaims ${c.name} size`)}: got ${JSON.stringify(c.size)}; allowed: a size in Mi or Gi such as 10Gi`);
    }
    assertAbsolutePath(what(`volumeClaims ${c.name} mountPath`), c.mountPath);
  }
  validateFileMounts(what, props.fileMounts ?? []);
  for (const [name, path] of Object.entries(props.scratchDirs ?? {})) {
    assertDnsLabel(what("scratchDirs name"), name);
    assertAbsolutePath(what(`scratchDirs ${name}`), path);
  }
  const volumeNames = [
    ...props.volumeClaims.map((c) => c.name),
    ...(props.fileMounts ?? []).map((f) => f.name),
    ...Object.keys(props.scratchDirs ?? {}),
    "tmp",
  ];
  for (const c of props.initContainers ?? []) {
    assertDnsLabel(what("initContainers name"), c.name);
    for (const m of c.mounts ?? []) {
      if (!volumeNames.includes(m.volume)) {
        throw new Error(`${what(`initContainers ${c.name} mounts`)}: got ${JSON.stringify(m.volume)}; allowed: one of ${volumeNames.join(", ")}`);
      }
      assertAbsolutePath(what(`initContainers ${c.name} mountPath`), m.mountPath);
    }
  }
}
