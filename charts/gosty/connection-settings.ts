import * as kplus from "cdk8s-plus-28";
import { Construct } from "constructs";
import { assertDnsLabel, assertIntegerInRange } from "../../constructs/names";
import { GOSTY_CONFIG_MAP } from "./app-env";
import { gostyLabels } from "./common";

/** Where a service the apps connect to answers. */
export interface GostyEndpoint {
  /** Namespace-qualified host, e.g. `mongodb.gosty.svc`. */
  readonly host: string;
  readonly port: number;
}

/** Props of {@link ConnectionSettings}. Plain data only. */
export interface ConnectionSettingsProps {
  /** Namespace of the ConfigMap (the apps' namespace). */
  readonly namespace: string;
  /** The MongoDB server. */
  readonly mongodb: GostyEndpoint;
  /** MongoDB database of the application. */
  readonly database: string;
  /** The RabbitMQ broker (its AMQP port). */
  readonly rabbitmq: GostyEndpoint;
}

/**
 * ConfigMap {@link GOSTY_CONFIG_MAP}: where every Gosty service finds the
 * datastores and the other services, under the variable names the services
 * read (their config.env). Credentials are not in it: they come from Secrets.
 */
export class ConnectionSettings extends Construct {
  readonly configMap: kplus.ConfigMap;

  constructor(scope: Construct, id: string, props: ConnectionSettingsProps) {
    super(scope, id);
    const ns = props.namespace;
    assertDnsLabel("ConnectionSettings namespace", ns);
    for (const [key, e] of [["mongodb", props.mongodb], ["rabbitmq", props.rabbitmq]] as const) {
      assertIntegerInRange(`ConnectionSettings ${key}.port`, e.port, 1, 65535);
    }
    this.configMap = new kplus.ConfigMap(this, "ConfigMap", {
      metadata: { name: GOSTY_CONFIG_MAP, namespace: ns, labels: gostyLabels() },
      data: {
        MONGODB_SERVICE_HOST: props.mongodb.host,
        MONGODB_SERVICE_PORT: String(props.mongodb.port),
        MONGODB_DATABASE: props.database,
        MONGODB_TIMEOUT: "5",
        RABBIT_RABBITMQ_SERVICE_HOST: props.rabbitmq.host,
        RABBIT_RABBITMQ_SERVICE_PORT: String(props.rabbitmq.port),
        GOSTY_APISERVER_SVC_SERVICE_HOST: `gosty-apiserver.${ns}.svc`,
        GOSTY_APISERVER_SVC_SERVICE_PORT: "80",
        GOSTY_FILESERVER_SERVICE_HOST: `gosty-fileserver.${ns}.svc`,
        GOSTY_FILESERVER_SERVICE_PORT: "80",
      },
    });
  }
}
