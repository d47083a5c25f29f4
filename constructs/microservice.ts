import { ApiObject, Duration } from "cdk8s";
import * as kplus from "cdk8s-plus-28";
import { IntOrString, KubePodDisruptionBudget } from "cdk8s-plus-28/lib/imports/k8s";
import { Construct } from "constructs";
import { isPinnedImage, PINNED_IMAGE_ALLOWED } from "./image";
import { assertDnsLabel, assertDnsSubdomain, assertIntegerInRange } from "./names";
import { DEFAULT_RESOURCES, ResourceSpec, resourceSpecProblems, toContainerResources } from "./resources";

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

/** An environment variable read from a key of an existing Secret. */
export interface SecretKeyRef {
  /** Name of the Secret, in the microservice's namespace. */
  readonly secretName: string;
  /** Key inside the Secret. */
  readonly key: string;
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

/**
 * Opt-outs from the restricted security defaults. Each one weakens isolation:
 * set it only for an image that cannot work otherwise, and say why next to it.
 */
export interface MicroserviceSecurity {
  /**
   * UID the container runs as. A numeric UID lets the kubelet enforce
   * `runAsNonRoot` even for images whose `USER` is a name.
   * @default 10001
   */
  readonly runAsUser?: number;
  /**
   * GID the container runs as and that owns mounted volumes (`fsGroup`).
   * @default 10001
   */
  readonly runAsGroup?: number;
  /**
   * Run as root (UID 0). Also requires a namespace whose Pod Security level is
   * `baseline` or `privileged`.
   * @default false
   */
  readonly allowRunAsRoot?: boolean;
  /**
   * Make the root filesystem writable, for images that write outside `/tmp`.
   * @default false
   */
  readonly writableRootFilesystem?: boolean;
}

/** Graceful shutdown behaviour. */
export interface MicroserviceShutdown {
  /**
   * Seconds between SIGTERM and SIGKILL. The image must finish in-flight work
   * and exit 0 within this time.
   * @default 30
   */
  readonly terminationGracePeriodSeconds?: number;
  /**
   * Seconds the kubelet waits (native `sleep` preStop action) before sending
   * SIGTERM, so endpoints and the ingress stop routing to the pod first.
   * Must be shorter than the grace period.
   * @default - no preStop hook
   */
  readonly preStopSleepSeconds?: number;
}

/** Props of {@link Microservice}. */
export interface MicroserviceProps {
  /** Name of the Deployment, Service, ServiceAccount and pod label `app.kubernetes.io/name`. */
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
  /** Container image, pinned to a tag other than `latest` or to a digest. */
  readonly image: string;
  /**
   * Arguments passed to the image's entrypoint.
   * @default - the image's CMD
   */
  readonly args?: string[];
  /**
   * Port the container serves HTTP on, including its health endpoints.
   * @default 8080
   */
  readonly port?: number;
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
   * HTTP path answering 200 when the pod can take work (readiness probe).
   * @default "/ready"
   */
  readonly readinessPath?: string;
  /**
   * HTTP path answering 200 while the process is healthy (liveness probe).
   * Keep it independent of downstream dependencies, or an outage restarts every pod.
   * @default "/healthz"
   */
  readonly livenessPath?: string;
  /**
   * Seconds a slow-starting container gets before the liveness probe counts
   * (a startup probe on the liveness path).
   * @default 60
   */
  readonly startupSeconds?: number;
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
  readonly shutdown?: MicroserviceShutdown;
  /**
   * Publish Prometheus scrape annotations on the pods.
   * @default - no scrape annotations
   */
  readonly metrics?: MetricsEndpoint;
  /**
   * Plain environment variables (non-secret).
   * @default - none
   */
  readonly env?: Record<string, string>;
  /**
   * Names of ConfigMaps whose keys all become environment variables.
   * @default - none
   */
  readonly envFromConfigMaps?: string[];
  /**
   * Environment variables read from existing Secrets. The Secrets are only
   * referenced: their values never appear in the manifests.
   * @default - none
   */
  readonly envFromSecrets?: Record<string, SecretKeyRef>;
  /**
   * Mount the ServiceAccount token, for services that call the Kubernetes API.
   * @default false
   */
  readonly automountServiceAccountToken?: boolean;
  /**
   * Opt-outs from the security defaults (non-root, read-only root filesystem).
   * @default - restricted: non-root UID 10001, read-only root filesystem, no privilege escalation, all capabilities dropped, RuntimeDefault seccomp
   */
  readonly security?: MicroserviceSecurity;
}

const ENV_NAME = /^[A-Za-z_][A-Za-z0-9_]*$/;
const HTTP_PATH = /^\/[A-Za-z0-9._~/-]*$/;

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
  /** Labels that select this microservice's pods. */
  readonly selectorLabels: Readonly<Record<string, string>>;
  readonly servicePort: number;
  readonly containerPort: number;

  constructor(scope: Construct, id: string, props: MicroserviceProps) {
    super(scope, id);
    validateProps(props);

    const port = props.port ?? 8080;
    const resources = props.resources ?? DEFAULT_RESOURCES;
    const security = props.security ?? {};
    const shutdown = props.shutdown ?? {};
    const runAsRoot = security.allowRunAsRoot ?? false;
    const uid = runAsRoot ? 0 : (security.runAsUser ?? 10001);
    const gid = runAsRoot ? 0 : (security.runAsGroup ?? 10001);
    this.containerPort = port;
    this.servicePort = props.servicePort ?? 80;
    this.selectorLabels = { "app.kubernetes.io/name": props.name };
    const labels: Record<string, string> = {
      ...this.selectorLabels,
      ...(props.partOf ? { "app.kubernetes.io/part-of": props.partOf } : {}),
    };
    const metadata = (name: string) => ({ name, namespace: props.namespace, labels });

    this.serviceAccount = new kplus.ServiceAccount(this, "ServiceAccount", {
      metadata: metadata(props.name),
      automountToken: props.automountServiceAccountToken ?? false,
    });

    const podAnnotations: Record<string, string> = {};
    if (props.metrics) {
      podAnnotations["prometheus.io/scrape"] = "true";
      podAnnotations["prometheus.io/port"] = String(props.metrics.port ?? port);
      podAnnotations["prometheus.io/path"] = props.metrics.path ?? "/metrics";
    }

    this.deployment = new kplus.Deployment(this, "Deployment", {
      metadata: metadata(props.name),
      // Stable, human-readable selector instead of cdk8s' construct-path label:
      // a Deployment's selector is immutable, so it must not change when code moves.
      select: false,
      podMetadata: { labels, annotations: podAnnotations },
      replicas: props.autoscaling ? undefined : (props.replicas ?? 1),
      serviceAccount: this.serviceAccount,
      automountServiceAccountToken: props.automountServiceAccountToken ?? false,
      terminationGracePeriod: Duration.seconds(shutdown.terminationGracePeriodSeconds ?? 30),
      securityContext: {
        ensureNonRoot: !runAsRoot,
        user: uid,
        group: gid,
        fsGroup: gid,
      },
    });
    this.deployment.select(kplus.LabelSelector.of({ labels: this.selectorLabels }));

    const probeOptions = { port, periodSeconds: Duration.seconds(10), timeoutSeconds: Duration.seconds(3) };
    const container = this.deployment.addContainer({
      name: props.name,
      image: props.image,
      args: props.args,
      // A pinned image never changes under its tag: no registry round-trip on every start.
      imagePullPolicy: kplus.ImagePullPolicy.IF_NOT_PRESENT,
      ports: [{ number: port, name: "http" }],
      readiness: kplus.Probe.fromHttpGet(props.readinessPath ?? "/ready", { ...probeOptions, failureThreshold: 3 }),
      liveness: kplus.Probe.fromHttpGet(props.livenessPath ?? "/healthz", { ...probeOptions, failureThreshold: 3 }),
      startup: kplus.Probe.fromHttpGet(props.livenessPath ?? "/healthz", {
        port,
        periodSeconds: Duration.seconds(5),
        failureThreshold: Math.max(1, Math.ceil((props.startupSeconds ?? 60) / 5)),
      }),
      resources: toContainerResources(resources),
      securityContext: {
        ensureNonRoot: !runAsRoot,
        user: uid,
        group: gid,
        readOnlyRootFilesystem: !(security.writableRootFilesystem ?? false),
        allowPrivilegeEscalation: false,
        privileged: false,
        capabilities: { drop: [kplus.Capability.ALL] },
        seccompProfile: { type: kplus.SeccompProfileType.RUNTIME_DEFAULT },
      },
    });

    // Writable scratch space: the root filesystem is read-only by default.
    container.mount("/tmp", kplus.Volume.fromEmptyDir(this, "Tmp", "tmp"));

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

    if (shutdown.preStopSleepSeconds !== undefined) {
      addPreStopSleep(ApiObject.of(this.deployment), shutdown.preStopSleepSeconds);
    }

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
}

/**
 * The native `sleep` preStop action (GA in Kubernetes 1.34) needs no `sleep`
 * binary in the image, which distroless images lack. cdk8s-plus-28's typed
 * Deployment serializer knows only the 1.28 API and drops both the field and
 * JSON patches that add it, so it is added to the serialized object instead.
 */
function addPreStopSleep(deployment: ApiObject, seconds: number): void {
  const serialize = deployment.toJson.bind(deployment);
  deployment.toJson = () => {
    const json = serialize();
    for (const c of json.spec.template.spec.containers) c.lifecycle = { ...c.lifecycle, preStop: { sleep: { seconds } } };
    return json;
  };
}

function validateProps(props: MicroserviceProps): void {
  const what = (key: string) => `Microservice ${JSON.stringify(props.name)}: ${key}`;
  assertDnsLabel("Microservice name", props.name);
  if (props.namespace !== undefined) assertDnsLabel(what("namespace"), props.namespace);
  if (!isPinnedImage(props.image)) {
    throw new Error(`${what("image")}: got ${JSON.stringify(props.image)}; allowed: ${PINNED_IMAGE_ALLOWED}`);
  }
  if (props.port !== undefined) assertIntegerInRange(what("port"), props.port, 1, 65535);
  if (props.servicePort !== undefined) assertIntegerInRange(what("servicePort"), props.servicePort, 1, 65535);
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
  const problems = resourceSpecProblems(what("resources"), props.resources ?? DEFAULT_RESOURCES);
  if (problems.length > 0) throw new Error(problems.join("\n"));
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
  const shutdown = props.shutdown ?? {};
  const grace = shutdown.terminationGracePeriodSeconds ?? 30;
  assertIntegerInRange(what("shutdown.terminationGracePeriodSeconds"), grace, 1, 3600);
  if (shutdown.preStopSleepSeconds !== undefined) {
    assertIntegerInRange(what("shutdown.preStopSleepSeconds"), shutdown.preStopSleepSeconds, 1, grace - 1);
  }
  for (const name of [...Object.keys(props.env ?? {}), ...Object.keys(props.envFromSecrets ?? {})]) {
    if (!ENV_NAME.test(name)) {
      throw new Error(`${what("env")}: got ${JSON.stringify(name)}; allowed: an environment variable name ([A-Za-z_][A-Za-z0-9_]*)`);
    }
  }
  const secretNames = Object.keys(props.envFromSecrets ?? {});
  const duplicate = secretNames.find((n) => props.env?.[n] !== undefined);
  if (duplicate) throw new Error(`${what("env")}: ${JSON.stringify(duplicate)} is set both as a plain value and from a Secret; allowed: one source per variable`);
  for (const ref of Object.values(props.envFromSecrets ?? {})) assertDnsSubdomain(what("envFromSecrets secretName"), ref.secretName);
  for (const cm of props.envFromConfigMaps ?? []) assertDnsSubdomain(what("envFromConfigMaps"), cm);
  const s = props.security ?? {};
  if (s.runAsUser !== undefined) assertIntegerInRange(what("security.runAsUser"), s.runAsUser, 1, 2147483647);
  if (s.runAsGroup !== undefined) assertIntegerInRange(what("security.runAsGroup"), s.runAsGroup, 1, 2147483647);
  if (s.allowRunAsRoot && (s.runAsUser !== undefined || s.runAsGroup !== undefined)) {
    throw new Error(`${what("security")}: allowRunAsRoot cannot be combined with runAsUser/runAsGroup; allowed: one of them`);
  }
}
