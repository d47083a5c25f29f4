import * as kplus from "cdk8s-plus-28";
import { Construct } from "constructs";
import { Microservice } from "../../constructs/microservice";
import { GostyAppCommonProps } from "./app-env";
import { GOSTY_NAMES, gostyPods } from "./common";
import { GOSTY_APISERVER_CONTRACT } from "./image-contracts";
import type { GostyValues } from "./values";

export const API_SERVER_PORT = 8000;
/** Where the API server keeps an upload until the file server has it (its image contract). */
const UPLOAD_DIR = GOSTY_APISERVER_CONTRACT.writes[0].path;

/** Props of {@link ApiServer}. Plain data only. */
export interface ApiServerProps {
  /** Namespace, settings, credentials and pull secret shared by Gosty's services. */
  readonly common: GostyAppCommonProps;
  /** The `gosty.apiServer` values (already validated by the values parser). */
  readonly values: GostyValues["apiServer"];
}

/** Gosty's API server (`gosty-apiserver`), which the ingress exposes; videos are uploaded through it. */
export class ApiServer extends Construct {
  readonly microservice: Microservice;

  constructor(scope: Construct, id: string, props: ApiServerProps) {
    super(scope, id);
    const v = props.values;
    // "Default" keeps the construct address, and so the pods' cdk8s.io/metadata.addr label, of a Microservice created in the chart.
    this.microservice = new Microservice(this, "Default", {
      ...props.common,
      name: GOSTY_NAMES.apiServer,
      image: v.image,
      port: API_SERVER_PORT,
      // Uploads come through the ingress controller (the TlsIngress admits it).
      // The ConfigMap hands every service the API server's address; the workers
      // are admitted since their registration path upstream is not verified here.
      callers: [{ peer: gostyPods(GOSTY_NAMES.worker), ports: [API_SERVER_PORT] }],
      healthPort: v.health.port,
      readinessPath: v.health.readinessPath,
      livenessPath: v.health.livenessPath,
      resources: v.resources,
      replicas: v.replicas,
      // Let the ingress stop routing before the server gets SIGTERM.
      shutdown: { terminationGracePeriodSeconds: 30, preStopSleepSeconds: 5 },
      // The server exits at start without an in-cluster config (it reads the
      // token to scale the workers on request). It gets no Role: the HPA owns
      // the worker count, so a scale request is refused with 403.
      automountServiceAccountToken: true,
    });
    // Uploads land here first; the image's own ./tmp is on the read-only root.
    this.microservice.deployment.containers[0].mount(UPLOAD_DIR, kplus.Volume.fromEmptyDir(this, "Uploads", "uploads"));
  }
}
