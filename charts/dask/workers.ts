import * as kplus from "cdk8s-plus-28";
import { Construct } from "constructs";
import { Microservice } from "../../constructs/microservice";
import { ARL_WORKER_PORT } from "./image-contracts";
import { DASK_HOME, DASK_NAMES, DASK_PART_OF, DaskCli, daskPods, WORKER_HTTP_PORT } from "./names";
import { portLiveness, portProbes } from "./probes";
import { DATA_MOUNT_PATH, DaskWorkerValues, workerFlags } from "./values";

/** Props of {@link DaskWorkers}. */
export interface DaskWorkersProps {
  /** Namespace of every object. */
  readonly namespace: string;
  /** Image with the `dask` command. */
  readonly image: string;
  /** The `dask.workers` values: replicas and the CPU and memory of each worker (request = limit). */
  readonly values: DaskWorkerValues;
  /** Address of the scheduler (`tcp://host:port`). */
  readonly schedulerAddress: string;
  /** The test data, mounted read-only at /arl/data. */
  readonly data: kplus.Volume;
  /**
   * Labels of pods the workers must share a node with (those that mount the
   * same ReadWriteOnce volume).
   * @default - scheduled anywhere
   */
  readonly colocateWith?: Readonly<Record<string, string>>;
  /**
   * Existing `kubernetes.io/dockerconfigjson` Secret to pull the image with.
   * @default - no pull secret
   */
  readonly imagePullSecret?: string;
  /**
   * Which command line the image has: the `dask` command of current Dask
   * images, or the 2018 ARL image's (see image-contracts.ts).
   * @default "dask"
   */
  readonly cli?: DaskCli;
}

/**
 * The Dask workers: one single-process worker per pod, its thread count and
 * memory limit derived from the container's resources.
 */
export class DaskWorkers extends Construct {
  readonly microservice: Microservice;

  constructor(scope: Construct, id: string, props: DaskWorkersProps) {
    super(scope, id);
    const w = props.values;
    const flags = workerFlags(w);
    const legacy = props.cli === "arl-2018";
    // "Default" keeps the construct address, and so the pods' cdk8s.io/metadata.addr label, of a Microservice created in the chart.
    this.microservice = new Microservice(this, "Default", {
      name: DASK_NAMES.workers,
      namespace: props.namespace,
      partOf: DASK_PART_OF,
      image: props.image,
      args: props.cli === "arl-2018" ? legacyWorkerArgs(props.schedulerAddress, flags) : workerArgs(props.schedulerAddress, flags),
      port: legacy ? ARL_WORKER_PORT : WORKER_HTTP_PORT,
      expose: false,
      // The scheduler hands out tasks and workers fetch each other's results. A
      // current worker and its nanny listen on ports chosen at start (registered
      // with the scheduler), so these callers get every port. The notebook's
      // Client goes through the scheduler (Dask's default unless direct_to_workers).
      callers: [
        { peer: daskPods(DASK_NAMES.scheduler), ports: "all" },
        { peer: daskPods(DASK_NAMES.workers), ports: "all" },
      ],
      readinessPath: "/health",
      livenessPath: "/health",
      // Liveness only checks the port: a busy worker must not be restarted.
      // The 2018 worker has no /health: its worker port alone tells.
      probes: legacy ? portProbes(ARL_WORKER_PORT) : { liveness: portLiveness(WORKER_HTTP_PORT) },
      imagePullSecret: props.imagePullSecret,
      colocateWith: props.colocateWith && { ...props.colocateWith },
      resources: { cpu: { request: w.cpu, limit: w.cpu }, memory: { request: w.memory, limit: w.memory } },
      replicas: w.replicas,
      // A worker hands its in-memory results to its peers on SIGTERM (the
      // nanny's graceful close) before exiting.
      shutdown: { terminationGracePeriodSeconds: 60 },
      env: { HOME: DASK_HOME },
    });
    this.microservice.deployment.containers[0].mount(DATA_MOUNT_PATH, props.data, { readOnly: true });
  }
}

/** One single-process worker; spilled data goes to the pod's scratch space, not the read-only root. */
function workerArgs(scheduler: string, f: { nthreads: number; memoryLimitBytes: number }): string[] {
  return [
    "dask",
    "worker",
    scheduler,
    "--nworkers",
    "1",
    "--nthreads",
    String(f.nthreads),
    "--memory-limit",
    String(f.memoryLimitBytes),
    "--dashboard-address",
    `:${WORKER_HTTP_PORT}`,
    "--local-directory",
    "/tmp/dask-worker-space",
  ];
}

/** The same worker with the 2018 flags (`--nprocs`; no dashboard, which needs Bokeh; a fixed worker port for the probes). */
function legacyWorkerArgs(scheduler: string, f: { nthreads: number; memoryLimitBytes: number }): string[] {
  return [
    "dask-worker",
    scheduler,
    "--nprocs",
    "1",
    "--nthreads",
    String(f.nthreads),
    "--memory-limit",
    String(f.memoryLimitBytes),
    "--worker-port",
    String(ARL_WORKER_PORT),
    "--no-bokeh",
    "--local-directory",
    "/tmp/dask-worker-space",
  ];
}
