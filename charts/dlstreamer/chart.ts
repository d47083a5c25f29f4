import { Chart } from "cdk8s";
import { Construct } from "constructs";
import { AppNamespace } from "../../constructs/app-namespace";
import { Peer } from "../../constructs/caller-policy";
import type { GlobalValues } from "../global-values";
import { Haproxy } from "./haproxy";
import { Mosquitto } from "./mosquitto";
import { DLSTREAMER_NAMES, DLSTREAMER_PART_OF, MOSQUITTO_PUBLISHER_PORT, PIPELINE_SERVER_PORT } from "./names";
import { PipelineServers } from "./pipeline-servers";
import { PipelineStatus } from "./pipeline-status";
import { DLSTREAMER_NAMESPACE, DlstreamerValues } from "./values";

/** Props of {@link DlstreamerChart}. Plain data only. */
export interface DlstreamerChartProps {
  /** Settings every chart shares (the `global:` values). */
  readonly global: GlobalValues;
  /** The `dlstreamer:` values. */
  readonly dlstreamer: DlstreamerValues;
  /**
   * Kubernetes cluster DNS domain (kubelet `clusterDomain`).
   * @default "cluster.local"
   */
  readonly clusterDomain?: string;
}

/**
 * The Intel DL Streamer Pipeline Server behind HAProxy, with a Mosquitto MQTT
 * broker receiving the inference results and a status Job that asks every
 * pipeline server pod. Each component is a construct of its own; the chart
 * wires their names, addresses and who may call whom.
 */
export class DlstreamerChart extends Chart {
  readonly pipelineServers: PipelineServers;
  readonly haproxy: Haproxy;
  readonly mosquitto: Mosquitto;
  readonly pipelineStatus: PipelineStatus;

  constructor(scope: Construct, id: string, props: DlstreamerChartProps) {
    super(scope, id, { disableResourceNameHashes: true });
    const namespace = DLSTREAMER_NAMESPACE;
    const v = props.dlstreamer;
    const clusterDomain = props.clusterDomain ?? "cluster.local";
    const partOf = DLSTREAMER_PART_OF;
    const labels = { "app.kubernetes.io/part-of": partOf };
    const fqdn = (service: string) => `${service}.${namespace}.svc.${clusterDomain}`;

    new AppNamespace(this, "Namespace", { name: namespace, labels });

    // The construct ids are those the components' main workloads had when the
    // chart built them itself: they set the pods' cdk8s.io/metadata.addr label.
    this.pipelineServers = new PipelineServers(this, "PipelineServer", {
      namespace,
      partOf,
      values: v.pipelineServer,
      modelFetcherImage: v.curlImage,
      mqtt: { host: fqdn(DLSTREAMER_NAMES.mosquittoPublisher), port: MOSQUITTO_PUBLISHER_PORT },
    });
    this.haproxy = new Haproxy(this, "Haproxy", {
      namespace,
      partOf,
      values: v.haproxy,
      backend: { serviceFqdn: fqdn(DLSTREAMER_NAMES.pipelineServer), portName: "http", healthCheckPath: "/pipelines" },
    });
    this.mosquitto = new Mosquitto(this, "Mosquitto", {
      namespace,
      partOf,
      values: v.mosquitto,
      storageClass: props.global.storageClass,
      publisherClients: this.pipelineServers.selectorLabels,
    });
    this.pipelineStatus = new PipelineStatus(this, "PipelineStatus", {
      namespace,
      partOf,
      image: v.curlImage,
      serviceFqdn: fqdn(DLSTREAMER_NAMES.pipelineServer),
      port: PIPELINE_SERVER_PORT,
    });

    // Pipelines are started through HAProxy; only it and the status Job may
    // call the pipeline servers' REST API (kubelet probes are always allowed).
    this.pipelineServers.microservice.callerPolicy.allow(
      { peer: Peer.pods(this.haproxy.selectorLabels), ports: [PIPELINE_SERVER_PORT] },
      { peer: Peer.pods(this.pipelineStatus.selectorLabels), ports: [PIPELINE_SERVER_PORT] },
    );
  }
}
