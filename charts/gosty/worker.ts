import * as kplus from "cdk8s-plus-28";
import { Construct } from "constructs";
import { Microservice } from "../../constructs/microservice";
import { GostyAppCommonProps } from "./app-env";
import { GOSTY_NAMES, gostyPods } from "./common";
import { contractPort } from "../image-contract";
import { GOSTY_WORKER_CONTRACT } from "./image-contracts";
import type { GostyValues } from "./values";

/** Props of {@link Worker}. Plain data only. */
export interface WorkerProps {
  /** Namespace, settings, credentials and pull secret shared by Gosty's services. */
  readonly common: GostyAppCommonProps;
  /** The `gosty.worker` values (already validated by the values parser). */
  readonly values: GostyValues["worker"];
}

/**
 * Gosty's transcoding workers (`gosty-worker`): they take jobs from RabbitMQ,
 * scale on CPU and serve nothing but health checks, so they get no Service.
 */
export class Worker extends Construct {
  readonly microservice: Microservice;

  constructor(scope: Construct, id: string, props: WorkerProps) {
    super(scope, id);
    const v = props.values;
    // "Default" keeps the construct address, and so the pods' cdk8s.io/metadata.addr label, of a Microservice created in the chart.
    const systemInfoPort = contractPort(GOSTY_WORKER_CONTRACT, "system info");
    this.microservice = new Microservice(this, "Default", {
      ...props.common,
      name: GOSTY_NAMES.worker,
      image: v.image,
      // The API server pings each worker here, at the address the worker
      // registered (POD_IP); health checks have a port of their own.
      port: systemInfoPort,
      callers: [{ peer: gostyPods(GOSTY_NAMES.apiServer), ports: [systemInfoPort] }],
      healthPort: v.health.port,
      expose: false,
      envFromFields: { POD_IP: "status.podIP" },
      readinessPath: v.health.readinessPath,
      livenessPath: v.health.livenessPath,
      resources: v.resources,
      autoscaling: v.autoscaling,
      // A transcoding task in flight is requeued by RabbitMQ when the worker
      // dies without acknowledging it; the grace period lets short ones finish.
      shutdown: { terminationGracePeriodSeconds: 300 },
    });
    // Split, transcoded and merged videos; the image's own directory is root-owned on the read-only root.
    this.microservice.deployment.containers[0].mount(
      GOSTY_WORKER_CONTRACT.writes[0].path,
      kplus.Volume.fromEmptyDir(this, "Work", "work"),
    );
  }
}
