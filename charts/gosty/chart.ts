import { Chart } from "cdk8s";
import { Construct } from "constructs";
import { AppNamespace } from "../../constructs/app-namespace";
import { TlsIngress } from "../../constructs/tls-ingress";
import { FLUENTD_NAMESPACE } from "../fluentd/values";
import type { GlobalValues } from "../global-values";
import { PROMETHEUS_NAMESPACE } from "../prometheus/values";
import { ingressIssuer } from "../tls";
import { GostyAppServices } from "./app-services";
import { ChaosExperiments } from "./chaos-experiments";
import { gostyLabels } from "./common";
import { Mongodb, MONGODB_PORT } from "./mongodb";
import { DatastorePolicies, ProtectedDatastore } from "./network-policies";
import { AMQP_PORT, Rabbitmq, RABBITMQ_METRICS_PORT } from "./rabbitmq";
import { ELASTICSEARCH_PORT, SearchLogging } from "./search-logging";
import { GOSTY_NAMESPACE, GostyValues } from "./values";

/** Props of {@link GostyChart}. Plain data only. */
export interface GostyChartProps {
  /** Settings every chart shares (storage class, ingress, TLS). */
  readonly global: GlobalValues;
  /** The `gosty` values. */
  readonly gosty: GostyValues;
}

/**
 * Gosty, the video transcoding service: its app services (API server behind
 * the ingress, file server, autoscaled workers), RabbitMQ and MongoDB as
 * StatefulSets, network policies around the datastores, and the optional
 * pieces the original ran around it: Elasticsearch + Kibana for logs, Linkerd
 * proxy injection, Chaos Mesh experiments.
 */
export class GostyChart extends Chart {
  readonly apps: GostyAppServices;
  readonly rabbitmq: Rabbitmq;
  readonly mongodb: Mongodb;
  readonly logging?: SearchLogging;
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
    this.apps = new GostyAppServices(this, "Apps", {
      namespace: ns,
      values: v,
      storageClass: global.storageClass,
      mongodb: { host: `${this.mongodb.service.serviceName}.${ns}.svc`, port: MONGODB_PORT },
      rabbitmq: { host: `${this.rabbitmq.service.serviceName}.${ns}.svc`, port: AMQP_PORT },
    });

    new TlsIngress(this, "Ingress", {
      name: "gosty",
      namespace: ns,
      host: v.apiServer.host,
      service: this.apps.apiServer.service!,
      ingressClassName: global.ingressClass,
      issuer: ingressIssuer(global),
      // Videos are uploaded through the API server.
      annotations: { "nginx.org/client-max-body-size": "2g", "nginx.org/proxy-read-timeout": "600s" },
    });

    if (v.logging.enabled) this.logging = new SearchLogging(this, "Logging", { ...stores, values: v.logging });
    if (v.chaos.enabled) {
      this.chaos = new ChaosExperiments(this, "Chaos", {
        namespace: ns,
        values: v.chaos,
        workerSelector: this.apps.worker.selectorLabels,
        apiServerSelector: this.apps.apiServer.selectorLabels,
        rabbitmqSelector: this.rabbitmq.service.selectorLabels,
      });
    }

    new DatastorePolicies(this, "DatastorePolicies", { namespace: ns, datastores: this.datastores() });
  }

  /** The stores only Gosty's pods may call; Prometheus scrapes RabbitMQ, FluentD ships logs to Elasticsearch. */
  private datastores(): ProtectedDatastore[] {
    const { rabbitmq, mongodb } = this;
    const out: ProtectedDatastore[] = [
      {
        name: rabbitmq.service.serviceName,
        selector: rabbitmq.service.selectorLabels,
        admitNamespaces: [{ namespace: PROMETHEUS_NAMESPACE, port: RABBITMQ_METRICS_PORT }],
      },
      { name: mongodb.service.serviceName, selector: mongodb.service.selectorLabels },
    ];
    if (this.logging) {
      const es = this.logging.elasticsearch;
      out.push({ name: es.serviceName, selector: es.selectorLabels, admitNamespaces: [{ namespace: FLUENTD_NAMESPACE, port: ELASTICSEARCH_PORT }] });
    }
    return out;
  }
}
