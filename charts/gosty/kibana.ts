import { Duration } from "cdk8s";
import * as kplus from "cdk8s-plus-28";
import { Construct } from "constructs";
import { Microservice } from "../../constructs/microservice";
import { GOSTY_NAMES, GOSTY_PART_OF } from "./common";
import { ELASTICSEARCH_PORT } from "./elasticsearch";
import type { GostyValues } from "./values";

export const KIBANA_PORT = 5601;

/** Props of {@link Kibana}. Plain data only. */
export interface KibanaProps {
  /** Namespace of every object (Elasticsearch's). */
  readonly namespace: string;
  /** The `gosty.logging` values (already validated by the values parser). */
  readonly values: GostyValues["logging"];
  /**
   * Secret with the registry credentials for the image.
   * @default - none
   */
  readonly imagePullSecret?: string;
}

/**
 * Kibana over the logs in Elasticsearch, as the `kibana_system` user (reach it
 * with `kubectl -n gosty port-forward svc/kibana 5601`).
 */
export class Kibana extends Construct {
  readonly microservice: Microservice;

  constructor(scope: Construct, id: string, props: KibanaProps) {
    super(scope, id);
    const l = props.values;
    // "Default" keeps the construct address, and so the pods' cdk8s.io/metadata.addr label, of a Microservice created in the chart.
    this.microservice = new Microservice(this, "Default", {
      name: GOSTY_NAMES.kibana,
      namespace: props.namespace,
      partOf: GOSTY_PART_OF,
      image: l.kibanaImage,
      port: KIBANA_PORT,
      servicePort: KIBANA_PORT,
      // Reached with kubectl port-forward, which NetworkPolicy does not filter.
      callers: [],
      // /api/status answers without credentials only with STATUS_ALLOWANONYMOUS.
      readinessPath: "/api/status",
      livenessPath: "/api/status",
      startupSeconds: 300,
      probes: {
        // Readiness already asks /api/status: liveness only checks the port,
        // so a Kibana that is merely busy is not restarted.
        liveness: kplus.Probe.fromTcpSocket({
          port: KIBANA_PORT,
          periodSeconds: Duration.seconds(20),
          timeoutSeconds: Duration.seconds(3),
          failureThreshold: 3,
        }),
      },
      resources: l.kibanaResources,
      env: {
        ELASTICSEARCH_HOSTS: `http://elasticsearch:${ELASTICSEARCH_PORT}`,
        ELASTICSEARCH_USERNAME: "kibana_system",
        STATUS_ALLOWANONYMOUS: "true",
      },
      envFromSecrets: { ELASTICSEARCH_PASSWORD: { secretName: l.secret.name, key: l.secret.kibanaPasswordKey } },
      // The Kibana image's user.
      security: { runAsUser: 1000, runAsGroup: 1000 },
      imagePullSecret: props.imagePullSecret,
    });
    this.microservice.deployment.containers[0].mount("/usr/share/kibana/data", kplus.Volume.fromEmptyDir(this, "Data", "data"));
  }
}
