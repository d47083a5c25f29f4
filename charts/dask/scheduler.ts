import { Construct } from "constructs";
import { Microservice } from "../../constructs/microservice";
import type { ResourceSpec } from "../../constructs/resources";
import { DASK_HOME, DASK_NAMES, DASK_PART_OF, DaskCli, daskPods } from "./names";
import { portLiveness, portProbes } from "./probes";
import { DASHBOARD_PORT, SCHEDULER_PORT } from "./values";

/** Props of {@link DaskScheduler}. */
export interface DaskSchedulerProps {
  /** Namespace of every object. */
  readonly namespace: string;
  /** Image with the `dask` command. */
  readonly image: string;
  /** CPU and memory of the scheduler container. */
  readonly resources: ResourceSpec;
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
 * The Dask scheduler: one pod serving the scheduler protocol on 8786 and the
 * Bokeh dashboard on 8787, both on the `dask-scheduler` Service.
 */
export class DaskScheduler extends Construct {
  readonly microservice: Microservice;
  /** The address workers and clients connect to (`tcp://<service>.<namespace>.svc:8786`). */
  readonly address: string;

  constructor(scope: Construct, id: string, props: DaskSchedulerProps) {
    super(scope, id);
    const legacy = props.cli === "arl-2018";
    this.address = `tcp://${DASK_NAMES.scheduler}.${props.namespace}.svc:${SCHEDULER_PORT}`;
    // The dashboard doubles as the scheduler's health endpoint (/health).
    // "Default" keeps the construct address, and so the pods' cdk8s.io/metadata.addr label, of a Microservice created in the chart.
    this.microservice = new Microservice(this, "Default", {
      name: DASK_NAMES.scheduler,
      namespace: props.namespace,
      partOf: DASK_PART_OF,
      image: props.image,
      args: legacy
        ? ["dask-scheduler", "--port", String(SCHEDULER_PORT), "--bokeh-port", String(DASHBOARD_PORT)]
        : ["dask", "scheduler", "--port", String(SCHEDULER_PORT), "--dashboard-address", `:${DASHBOARD_PORT}`],
      port: DASHBOARD_PORT,
      servicePort: DASHBOARD_PORT,
      // Workers register and report, the notebook's Client submits work; the
      // dashboard is reached through the ingress controller (the TlsIngress admits it).
      callers: [
        { peer: daskPods(DASK_NAMES.workers), ports: [SCHEDULER_PORT] },
        { peer: daskPods(DASK_NAMES.notebook), ports: [SCHEDULER_PORT] },
      ],
      readinessPath: "/health",
      livenessPath: "/health",
      // Liveness only checks the scheduler port: a busy scheduler must not be
      // restarted. The 2018 dashboard has no /health: the port alone tells.
      probes: legacy ? portProbes(SCHEDULER_PORT) : { liveness: portLiveness(SCHEDULER_PORT) },
      imagePullSecret: props.imagePullSecret,
      resources: props.resources,
      env: { HOME: DASK_HOME },
      // The dask image runs as root by default; any UID works with HOME on /tmp.
    });
    this.microservice.deployment.containers[0].addPort({ number: SCHEDULER_PORT, name: "scheduler" });
    this.microservice.service?.bind(SCHEDULER_PORT, { targetPort: SCHEDULER_PORT, name: "scheduler" });
  }
}
