import { Construct } from "constructs";
import { Microservice } from "../../constructs/microservice";
import { GostyAppCommonProps } from "./app-env";
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
    this.microservice = new Microservice(this, "Default", {
      ...props.common,
      name: "gosty-worker",
      image: v.image,
      // The port serves only health checks.
      port: v.health.port,
      expose: false,
      readinessPath: v.health.readinessPath,
      livenessPath: v.health.livenessPath,
      resources: v.resources,
      autoscaling: v.autoscaling,
      // A transcoding task in flight is requeued by RabbitMQ when the worker
      // dies without acknowledging it; the grace period lets short ones finish.
      shutdown: { terminationGracePeriodSeconds: 300 },
    });
  }
}
