import { ApiObject, ApiObjectMetadata, Duration, JsonPatch } from "cdk8s";
import * as kplus from "cdk8s-plus-28";
import { IntOrString, KubePodDisruptionBudget } from "cdk8s-plus-28/lib/imports/k8s";
import { Construct } from "constructs";
import { webIdentityEnv, webIdentityVolume, webIdentityVolumeMount } from "../lib/aws-web-identity";
import { isPinnedImage, PINNED_IMAGE_ALLOWED } from "./image";
import { assertDnsLabel, assertDnsSubdomain, assertIntegerInRange } from "./names";
import { DEFAULT_RESOURCES, ResourceSpec, resourceSpecProblems, toContainerResources } from "./resources";
import { SpreadPolicy, spreadOverNodes } from "./spread-over-nodes";
import { CallerPolicy, Peer } from "./caller-policy";
import {
  addPreStopSleep,
  MetricsEndpoint,
  scrapeAnnotations,
  probeToKube,
  ResolvedSecurity,
  resolveSecurity,
  SecretKeyRef,
  validateLabels,
  validateSecurity,
  validateShutdown,
  validateWorkloadBase,
  WorkloadBase,
  workloadLabels,
  WorkloadProbes,
  WorkloadSecurity,
  WorkloadShutdown,
} from "./workload-props";

/** Horizontal autoscaling of a {@link Microservice}. */
export interface MicroserviceAutoscaling {
  /**
   * Fewest replicas the HPA keeps.
   * @default 1
   */
  readonly minReplicas?: number;
  /** Most replicas the HPA may create. */
  readonly maxReplicas: number;
  /**
   * Target average CPU utilization, in percent of the CPU request.
   * @default 70
   */
  readonly cpuUtilization?: number;
  /**
   * Target average memory utilization, in percent of the memory request.
   * @default - memory is not a scaling metric
   */
  readonly memoryUtilization?: number;
}

/** Props of {@link Microservice}. */
export interface MicroserviceProps extends WorkloadBase {
  /**
   * Port the container serves HTTP on.
   * @default 8080
   */
  readonly port?: number;
  /**
   * Port of the default HTTP probes, for images that serve their health
   * endpoints on a port of their own rather than on the traffic port.
   * Probes given in {@link probes} carry their own port.
   * @default - the container port
   */
  readonly healthPort?: number;
  /**
   * Create a ClusterIP Service in front of the pods. Queue consumers that
   * receive no requests can do without.
   * @default true
   */
  readonly expose?: boolean;
  /**
   * Port of the Service (forwarded to {@link port}).
   * @default 80
   */
  readonly servicePort?: number;
  /**
   * HTTP path of the default readiness probe, answering 200 when the pod can take work.
   * @default "/ready"
   */
  readonly readinessPath?: string;
  /**
   * HTTP path of the default liveness and startup probes, answering 200 while
   * the process is healthy. Keep it independent of downstream dependencies,
   * or an outage restarts every pod.
   * @default "/healthz"
   */
  readonly livenessPath?: string;
  /**
   * Seconds a slow-starting container gets before the liveness probe counts
   * (the default startup probe, on the liveness path).
   * @default 60
   */
  readonly startupSeconds?: number;
  /**
   * Probes that replace the defaults built from {@link readinessPath},
   * {@link livenessPath} and {@link startupSeconds}, for applications that
   * prescribe exact probe settings or are not HTTP (e.g. a liveness probe
   * that only checks the port, `kplus.Probe.fromTcpSocket()`, for a server
   * whose single health endpoint serves as readiness: a liveness probe
   * identical to readiness restarts pods that are merely busy).
   * @default - HTTP GET on the health port: readiness on readinessPath and liveness on livenessPath every 10 s (3 s timeout, 3 failures), startup on livenessPath every 5 s for startupSeconds
   */
  readonly probes?: WorkloadProbes;
  /**
   * How a new version replaces the old pods. `kplus.DeploymentStrategy.recreate()`
   * stops the old pod first: required for a single pod that mounts a
   * ReadWriteOnce volume, which a rolling update's new pod on another node
   * would wait for forever.
   * @default - rolling update (25% max surge, 25% max unavailable)
   */
  readonly strategy?: kplus.DeploymentStrategy;
  /**
   * Name of a Secret holding registry credentials (`kubernetes.io/dockerconfigjson`).
   * @default - none
   */
  readonly imagePullSecret?: string;
  /**
   * Labels of pods (in the same namespace) whose node these pods must run on,
   * for pods that share a ReadWriteOnce volume with them (such a volume can be
   * mounted by several pods, but only on one node).
   * @default - no co-location
   */
  readonly colocateWith?: Record<string, string>;
  /**
   * Spread the pods over nodes, at most one more on any node than on the
   * emptiest (see {@link spreadOverNodes}): `DoNotSchedule` keeps a pod
   * Pending rather than double up, `ScheduleAnyway` only prefers spreading.
   * @default - no spread constraint
   */
  readonly spreadOverNodes?: SpreadPolicy;
  /**
   * CPU and memory requests and limits.
   * @default DEFAULT_RESOURCES (100m/500m CPU, 128Mi/256Mi memory)
   */
  readonly resources?: ResourceSpec;
  /**
   * Fixed number of replicas. Mutually exclusive with {@link autoscaling}:
   * a fixed count would fight the HPA on every apply.
   * @default 1 (when not autoscaled)
   */
  readonly replicas?: number;
  /**
   * Scale with a HorizontalPodAutoscaler on CPU (and optionally memory).
   * @default - no autoscaling
   */
  readonly autoscaling?: MicroserviceAutoscaling;
  /**
   * Graceful shutdown settings.
   * @default - 30 s grace period, no preStop hook
   */
  readonly shutdown?: WorkloadShutdown;
  /**
   * Publish Prometheus scrape annotations on the pods, and admit Prometheus to
   * the metrics port (a caller of its own).
   * @default - no scrape annotations
   */
  readonly metrics?: MetricsEndpoint;
  /**
   * Mount the ServiceAccount token, for services that call the Kubernetes API.
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
   * Opt-outs from the security defaults (non-root, read-only root filesystem).
   * @default - restricted: non-root UID and GID 10001, read-only root filesystem, no privilege escalation, all capabilities dropped, RuntimeDefault seccomp
   */
  readonly security?: WorkloadSecurity;
}

/** @deprecated use {@link WorkloadSecurity}. */
export type MicroserviceSecurity = WorkloadSecurity;
/** @deprecated use {@link WorkloadShutdown}. */
export type MicroserviceShutdown = WorkloadShutdown;
export type { MetricsEndpoint, SecretKeyRef };

/**
 * A helper container beside the main one (e.g. a config reloader), with the
 * main container's security context and image pull policy.
 */
export interface MicroserviceSidecar {
  /** Container name, unique in the pod. */
  readonly name: string;
  /** Container image, pinned to a tag other than `latest` or to a digest. */
  readonly image: string;
  /**
   * Arguments passed to the image's entrypoint.
   * @default - the image's CMD
   */
  readonly args?: string[];
  /** The port it listens on (health and metrics). */
  readonly port: { readonly name: string; readonly number: number };
  /** Readiness and liveness (both required). */
  readonly probes: WorkloadProbes;
  /** CPU and memory requests and limits. */
  readonly resources: ResourceSpec;
}

const HTTP_PATH = /^\/[A-Za-z0-9._~/-]*$/;
const DEFAULT_UID = 10001;
const DEFAULT_GRACE_SECONDS = 30;

/**
 * A stateless HTTP service or queue worker: Deployment, optional Service,
 * dedicated ServiceAccount, optional HPA and a PodDisruptionBudget when it can
 * run more than one replica.
 */
export class Microservice extends Construct {
  readonly deployment: kplus.Deployment;
  /** Undefined when `expose` is false. */
  readonly service?: kplus.Service;
  readonly serviceAccount: kplus.ServiceAccount;
  readonly autoscaler?: kplus.HorizontalPodAutoscaler;
  readonly podDisruptionBudget?: KubePodDisruptionBudget;
  /** The NetworkPolicy admitting the callers (`<name>-callers`); `allow` admits more. */
  readonly callerPolicy: CallerPolicy;
  /** Labels that select this microservice's pods. */
  readonly selectorLabels: Readonly<Record<string, string>>;
  readonly servicePort: number;
  readonly containerPort: number;
  private readonly security: ResolvedSecurity;

  constructor(scope: Construct, id: string, props: MicroserviceProps) {
    super(scope, id);
    validateProps(props);

    const port = props.port ?? 8080;
    this.containerPort = port;
    this.servicePort = props.servicePort ?? 80;
    const { selector, labels } = workloadLabels(props);
    this.selectorLabels = selector;
    const metadata = (name: string) => ({ name, namespace: props.namespace, labels });
    this.security = resolveSecurity(props.security, DEFAULT_UID);

    this.serviceAccount = new kplus.ServiceAccount(this, "ServiceAccount", {
      metadata: metadata(props.name),
      automountToken: props.automountServiceAccountToken ?? false,
    });
    this.deployment = this.createDeployment(props, metadata(props.name), labels);
    this.addMainContainer(props);

    if (props.expose ?? true) {
      this.service = new kplus.Service(this, "Service", {
        metadata: metadata(props.name),
        type: kplus.ServiceType.CLUSTER_IP,
        ports: [{ port: this.servicePort, targetPort: port, name: "http" }],
      });
      this.service.selectLabel("app.kubernetes.io/name", props.name);
    }

    if (props.autoscaling) {
      const a = props.autoscaling;
      const metrics = [kplus.Metric.resourceCpu(kplus.MetricTarget.averageUtilization(a.cpuUtilization ?? 70))];
      if (a.memoryUtilization !== undefined) {
        metrics.push(kplus.Metric.resourceMemory(kplus.MetricTarget.averageUtilization(a.memoryUtilization)));
      }
      this.autoscaler = new kplus.HorizontalPodAutoscaler(this, "Autoscaler", {
        metadata: metadata(props.name),
        target: this.deployment,
        minReplicas: a.minReplicas ?? 1,
        maxReplicas: a.maxReplicas,
        metrics,
      });
    }

    this.callerPolicy = new CallerPolicy(this, "Callers", {
      name: `${props.name}-callers`,
      namespace: props.namespace,
      podSelector: this.selectorLabels,
      labels,
      callers: [...props.callers, ...(props.metrics ? [{ peer: Peer.prometheus(), ports: [props.metrics.port ?? port] }] : [])],
    });

    const mayRunSeveral = props.autoscaling ? props.autoscaling.maxReplicas > 1 : (props.replicas ?? 1) > 1;
    if (mayRunSeveral) {
      // maxUnavailable (not minAvailable) never blocks draining a node while
      // the HPA has scaled down to a single replica.
      this.podDisruptionBudget = new KubePodDisruptionBudget(this, "DisruptionBudget", {
        metadata: metadata(props.name),
        spec: { maxUnavailable: IntOrString.fromNumber(1), selector: { matchLabels: { ...this.selectorLabels } } },
      });
    }
  }

  /** Adds a container beside the main one; mount its volumes on the returned container. */
  addSidecar(sidecar: MicroserviceSidecar): kplus.Container {
    const what = `Microservice ${JSON.stringify(this.deployment.name)}: sidecar ${JSON.stringify(sidecar.name)}`;
    assertDnsLabel(what, sidecar.name);
    if (this.deployment.containers.some((c) => c.name === sidecar.name)) {
      throw new Error(`${what}: name: already used in the pod; allowed: a container name of its own`);
    }
    if (!isPinnedImage(sidecar.image)) throw new Error(`${what} image: got ${JSON.stringify(sidecar.image)}; allowed: ${PINNED_IMAGE_ALLOWED}`);
    assertIntegerInRange(`${what} port`, sidecar.port.number, 1, 65535);
    if (sidecar.probes.readiness === undefined || sidecar.probes.liveness === undefined) {
      throw new Error(`${what} probes: allowed: readiness and liveness probes (every long-running container has both)`);
    }
    for (const [kind, probe] of Object.entries(sidecar.probes) as [keyof WorkloadProbes, kplus.Probe | undefined][]) {
      if (probe !== undefined) probeToKube(`${what} probes`, kind, probe);
    }
    const problems = resourceSpecProblems(`${what} resources`, sidecar.resources);
    if (problems.length > 0) throw new Error(problems.join("\n"));
    return this.deployment.addContainer({
      name: sidecar.name,
      image: sidecar.image,
      args: sidecar.args,
      imagePullPolicy: kplus.ImagePullPolicy.IF_NOT_PRESENT,
      ports: [{ number: sidecar.port.number, name: sidecar.port.name }],
      readiness: sidecar.probes.readiness,
      liveness: sidecar.probes.liveness,
      startup: sidecar.probes.startup,
      resources: toContainerResources(sidecar.resources),
      securityContext: this.containerSecurityContext(),
    });
  }

  private containerSecurityContext(): kplus.ContainerSecurityContextProps {
    const s = this.security;
    return {
      ensureNonRoot: !s.root,
      user: s.uid,
      group: s.gid,
      readOnlyRootFilesystem: s.readOnlyRootFilesystem,
      allowPrivilegeEscalation: false,
      privileged: false,
      capabilities: { drop: [kplus.Capability.ALL] },
      seccompProfile: { type: kplus.SeccompProfileType.RUNTIME_DEFAULT },
    };
  }

  private createDeployment(props: MicroserviceProps, metadata: ApiObjectMetadata, labels: Record<string, string>): kplus.Deployment {
    const security = this.security;
    const podAnnotations = scrapeAnnotations(props.metrics, this.containerPort);
    const deployment = new kplus.Deployment(this, "Deployment", {
      metadata,
      // Stable, human-readable selector instead of cdk8s' construct-path label:
      // a Deployment's selector is immutable, so it must not change when code moves.
      select: false,
      podMetadata: { labels, annotations: podAnnotations },
      replicas: props.autoscaling ? undefined : (props.replicas ?? 1),
      strategy: props.strategy,
      serviceAccount: this.serviceAccount,
      automountServiceAccountToken: props.automountServiceAccountToken ?? false,
      dockerRegistryAuth: props.imagePullSecret ? kplus.Secret.fromSecretName(this, "ImagePullSecret", props.imagePullSecret) : undefined,
      terminationGracePeriod: Duration.seconds(props.shutdown?.terminationGracePeriodSeconds ?? DEFAULT_GRACE_SECONDS),
      securityContext: {
        ensureNonRoot: !security.root,
        user: security.uid,
        group: security.gid,
        fsGroup: security.fsGroup,
        // As in every workload construct: skip the recursive chown of a data
        // volume whose root already has the right group (a large TSDB or
        // database would otherwise be walked on every start).
        fsGroupChangePolicy: kplus.FsGroupChangePolicy.ON_ROOT_MISMATCH,
      },
    });
    deployment.select(kplus.LabelSelector.of({ labels: this.selectorLabels }));
    if (props.colocateWith) {
      deployment.scheduling.colocate(kplus.Pods.select(this, "ColocateWith", { labels: props.colocateWith }));
    }
    if (props.spreadOverNodes !== undefined) spreadOverNodes(deployment, this.selectorLabels, props.spreadOverNodes);
    if (props.shutdown?.preStopSleepSeconds !== undefined) {
      addPreStopSleep(ApiObject.of(deployment), props.shutdown.preStopSleepSeconds);
    }
    return deployment;
  }

  private addMainContainer(props: MicroserviceProps): void {
    const probes = defaultProbes(props, this.containerPort);
    const preStop = props.shutdown?.preStopCommand;
    const container = this.deployment.addContainer({
      name: props.name,
      image: props.image,
      args: props.args,
      // A pinned image never changes under its tag: no registry round-trip on every start.
      imagePullPolicy: kplus.ImagePullPolicy.IF_NOT_PRESENT,
      ports: [{ number: this.containerPort, name: "http" }],
      readiness: props.probes?.readiness ?? probes.readiness,
      liveness: props.probes?.liveness ?? probes.liveness,
      startup: props.probes?.startup ?? probes.startup,
      lifecycle: preStop ? { preStop: kplus.Handler.fromCommand(preStop) } : undefined,
      resources: toContainerResources(props.resources ?? DEFAULT_RESOURCES),
      securityContext: this.containerSecurityContext(),
    });

    // Writable scratch space: the root filesystem is read-only by default.
    container.mount("/tmp", kplus.Volume.fromEmptyDir(this, "Tmp", "tmp"));
    if (props.awsRoleArn !== undefined) {
      for (const e of webIdentityEnv(props.awsRoleArn)) container.env.addVariable(e.name, kplus.EnvValue.fromValue(e.value));
      // cdk8s-plus has no projected service-account token volume: added to the rendered
      // pod (which always has volumes and mounts, /tmp above) and the main container.
      const deployment = ApiObject.of(this.deployment);
      deployment.addJsonPatch(JsonPatch.add("/spec/template/spec/volumes/-", webIdentityVolume()));
      deployment.addJsonPatch(JsonPatch.add("/spec/template/spec/containers/0/volumeMounts/-", webIdentityVolumeMount()));
    }

    for (const [name, fieldPath] of Object.entries(props.envFromFields ?? {})) {
      container.env.addVariable(name, kplus.EnvValue.fromFieldRef(fieldPath as kplus.EnvFieldPaths));
    }
    for (const [name, value] of Object.entries(props.env ?? {})) {
      container.env.addVariable(name, kplus.EnvValue.fromValue(value));
    }
    (props.envFromConfigMaps ?? []).forEach((cmName, i) => {
      container.env.copyFrom(kplus.Env.fromConfigMap(kplus.ConfigMap.fromConfigMapName(this, `ConfigMapRef${i}`, cmName)));
    });
    Object.entries(props.envFromSecrets ?? {}).forEach(([name, ref], i) => {
      const secret = kplus.Secret.fromSecretName(this, `SecretRef${i}`, ref.secretName);
      container.env.addVariable(name, kplus.EnvValue.fromSecretValue({ secret, key: ref.key }));
    });
  }
}

/** The HTTP probes a Microservice gets unless {@link MicroserviceProps.probes} replaces them. */
function defaultProbes(props: MicroserviceProps, containerPort: number): Required<WorkloadProbes> {
  const port = props.healthPort ?? containerPort;
  const timings = { port, periodSeconds: Duration.seconds(10), timeoutSeconds: Duration.seconds(3), failureThreshold: 3 };
  const livenessPath = props.livenessPath ?? "/healthz";
  return {
    readiness: kplus.Probe.fromHttpGet(props.readinessPath ?? "/ready", timings),
    liveness: kplus.Probe.fromHttpGet(livenessPath, timings),
    startup: kplus.Probe.fromHttpGet(livenessPath, {
      port,
      periodSeconds: Duration.seconds(5),
      failureThreshold: Math.max(1, Math.ceil((props.startupSeconds ?? 60) / 5)),
    }),
  };
}

function validateProps(props: MicroserviceProps): void {
  const what = (key: string) => `Microservice ${JSON.stringify(props.name)}: ${key}`;
  validateWorkloadBase("Microservice", what, props);
  for (const key of ["port", "servicePort", "healthPort"] as const) {
    if (props[key] !== undefined) assertIntegerInRange(what(key), props[key], 1, 65535);
  }
  for (const [key, path] of [
    ["readinessPath", props.readinessPath],
    ["livenessPath", props.livenessPath],
    ["metrics.path", props.metrics?.path],
  ] as const) {
    if (path !== undefined && !HTTP_PATH.test(path)) {
      throw new Error(`${what(key)}: got ${JSON.stringify(path)}; allowed: an absolute HTTP path such as /healthz`);
    }
  }
  if (props.metrics?.port !== undefined) assertIntegerInRange(what("metrics.port"), props.metrics.port, 1, 65535);
  if (props.startupSeconds !== undefined) assertIntegerInRange(what("startupSeconds"), props.startupSeconds, 5, 3600);
  for (const [kind, probe] of Object.entries(props.probes ?? {}) as [keyof WorkloadProbes, kplus.Probe | undefined][]) {
    if (probe !== undefined) probeToKube(what("probes"), kind, probe);
  }
  const problems = resourceSpecProblems(what("resources"), props.resources ?? DEFAULT_RESOURCES);
  if (problems.length > 0) throw new Error(problems.join("\n"));
  validateScaling(what, props);
  validateShutdown(what, props.shutdown, DEFAULT_GRACE_SECONDS);
  validateSecurity(what, props.security);
  if (props.imagePullSecret !== undefined) assertDnsSubdomain(what("imagePullSecret"), props.imagePullSecret);
  if (props.colocateWith !== undefined) validateLabels(what("colocateWith"), props.colocateWith);
}

function validateScaling(what: (key: string) => string, props: MicroserviceProps): void {
  if (props.replicas !== undefined && props.autoscaling !== undefined) {
    throw new Error(
      `${what("replicas")}: got ${props.replicas} together with autoscaling; allowed: either a fixed replica count or autoscaling, not both (the HPA owns the count)`,
    );
  }
  if (props.replicas !== undefined) assertIntegerInRange(what("replicas"), props.replicas, 0, 1000);
  if (props.autoscaling) {
    const a = props.autoscaling;
    assertIntegerInRange(what("autoscaling.maxReplicas"), a.maxReplicas, 1, 1000);
    if (a.minReplicas !== undefined) assertIntegerInRange(what("autoscaling.minReplicas"), a.minReplicas, 1, a.maxReplicas);
    if (a.cpuUtilization !== undefined) assertIntegerInRange(what("autoscaling.cpuUtilization"), a.cpuUtilization, 1, 100);
    if (a.memoryUtilization !== undefined) assertIntegerInRange(what("autoscaling.memoryUtilization"), a.memoryUtilization, 1, 100);
  }
}
