import { Chart } from "cdk8s";
import { Construct } from "constructs";
import { AppNamespace } from "../../constructs/app-namespace";
import { TlsIngress } from "../../constructs/tls-ingress";
import type { GlobalValues } from "../global-values";
import { ingressIssuer } from "../tls";
import { ApiServer } from "./api-server";
import { gostyAppCommonProps } from "./app-env";
import { ChaosExperiments } from "./chaos-experiments";
import { gostyLabels } from "./common";
import { ConnectionSettings } from "./connection-settings";
import { Elasticsearch } from "./elasticsearch";
import { FileServer } from "./file-server";
import { Kibana } from "./kibana";
import { Mongodb, MONGODB_PORT } from "./mongodb";
import { AMQP_PORT, Rabbitmq } from "./rabbitmq";
import { Worker } from "./worker";
import { GOSTY_NAMESPACE, GostyValues } from "./values";

/** Props of {@link GostyChart}. Plain data only. */
export interface GostyChartProps {
  /** Settings every chart shares (storage class, ingress, TLS). */
  readonly global: GlobalValues;
  /** The `gosty` values. */
  readonly gosty: GostyValues;
}

/**
 * Gosty, the video transcoding service: its own services (API server behind
 * the ingress, file server, autoscaled workers), RabbitMQ and MongoDB as
 * StatefulSets, each admitting only its callers, and the optional
 * pieces the original ran around it: Elasticsearch + Kibana for logs, Linkerd
 * proxy injection, Chaos Mesh experiments. One construct per component; the
 * chart only wires them.
 */
export class GostyChart extends Chart {
  readonly apiServer: ApiServer;
  readonly fileServer: FileServer;
  readonly worker: Worker;
  readonly rabbitmq: Rabbitmq;
  readonly mongodb: Mongodb;
  readonly elasticsearch?: Elasticsearch;
  readonly kibana?: Kibana;
  readonly chaos?: ChaosExperiments;

  constructor(scope: Construct, id: string, props: GostyChartProps) {
    super(scope, id, { disableResourceNameHashes: true });
    const { global, gosty: v } = props;
    const ns = GOSTY_NAMESPACE;

    const namespace = new AppNamespace(this, "Namespace", { name: ns, labels: gostyLabels() });
    if (v.linkerd.enabled) {
      // Linkerd's proxy injector adds the proxy to every pod created in the
      // namespace. Under the `restricted` Pod Security level this needs the
      // Linkerd CNI plugin (the proxy-init container would need NET_ADMIN).
      namespace.namespace.metadata.addAnnotation("linkerd.io/inject", "enabled");
      // Protocols where the client does not speak HTTP first: skip Linkerd's
      // protocol detection (and its 10 s timeout) for them.
      namespace.namespace.metadata.addAnnotation("config.linkerd.io/opaque-ports", "4369,5672,25672,27017");
    }

    const stores = { namespace: ns, storageClass: global.storageClass, imagePullSecret: v.imagePullSecret };
    this.rabbitmq = new Rabbitmq(this, "Rabbitmq", { ...stores, values: v.rabbitmq });
    this.mongodb = new Mongodb(this, "Mongodb", { ...stores, values: v.mongodb });
    new ConnectionSettings(this, "Config", {
      namespace: ns,
      mongodb: { host: `${this.mongodb.service.serviceName}.${ns}.svc`, port: MONGODB_PORT },
      database: v.mongodb.database,
      rabbitmq: { host: `${this.rabbitmq.service.serviceName}.${ns}.svc`, port: AMQP_PORT },
    });
    const common = gostyAppCommonProps(ns, v);
    this.apiServer = new ApiServer(this, "ApiServer", { common, values: v.apiServer });
    this.fileServer = new FileServer(this, "FileServer", { common, values: v.fileServer, storageClass: global.storageClass });
    this.worker = new Worker(this, "Worker", { common, values: v.worker });

    new TlsIngress(this, "Ingress", {
      name: "gosty",
      namespace: ns,
      host: v.apiServer.host,
      service: this.apiServer.microservice.service!,
      ingressClassName: global.ingressClass,
      issuer: ingressIssuer(global),
      // Videos are uploaded through the API server.
      annotations: { "nginx.org/client-max-body-size": "2g", "nginx.org/proxy-read-timeout": "600s" },
    });

    if (v.logging.enabled) {
      this.elasticsearch = new Elasticsearch(this, "Elasticsearch", { ...stores, values: v.logging });
      this.kibana = new Kibana(this, "Kibana", { namespace: ns, values: v.logging, imagePullSecret: v.imagePullSecret });
    }
    if (v.chaos.enabled) {
      this.chaos = new ChaosExperiments(this, "Chaos", {
        namespace: ns,
        values: v.chaos,
        workerSelector: this.worker.microservice.selectorLabels,
        apiServerSelector: this.apiServer.microservice.selectorLabels,
        rabbitmqSelector: this.rabbitmq.service.selectorLabels,
      });
    }
  }
}
