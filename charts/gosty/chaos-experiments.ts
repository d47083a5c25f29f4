import { Construct } from "constructs";
import { assertDnsLabel } from "../../constructs/names";
import { gostyLabels } from "./common";
import {
  NetworkChaos,
  NetworkChaosSpecAction,
  NetworkChaosSpecDirection,
  NetworkChaosSpecMode,
  NetworkChaosSpecTargetMode,
  PodChaos,
  PodChaosSpecAction,
  PodChaosSpecMode,
} from "./imports/chaos-mesh.org";
import type { GostyValues } from "./values";

/** Props of {@link ChaosExperiments}. Plain data only. */
export interface ChaosExperimentsProps {
  /** Namespace of the experiments and of the pods they target. */
  readonly namespace: string;
  /** The `gosty.chaos` values (already validated by the values parser). */
  readonly values: GostyValues["chaos"];
  /** Labels that select the worker pods (some of which are killed). */
  readonly workerSelector: Readonly<Record<string, string>>;
  /** Labels that select the API server pods (whose traffic to RabbitMQ is delayed). */
  readonly apiServerSelector: Readonly<Record<string, string>>;
  /** Labels that select the RabbitMQ pods. */
  readonly rabbitmqSelector: Readonly<Record<string, string>>;
}

/**
 * Chaos Mesh experiments, typed from the pinned CRD schemas (see
 * imports/README.md): kill a share of the workers (their jobs must be
 * requeued) and delay the API server's traffic to RabbitMQ.
 */
export class ChaosExperiments extends Construct {
  readonly podKill: PodChaos;
  readonly networkDelay: NetworkChaos;

  constructor(scope: Construct, id: string, props: ChaosExperimentsProps) {
    super(scope, id);
    assertDnsLabel("ChaosExperiments namespace", props.namespace);
    const ns = props.namespace;
    const v = props.values;
    this.podKill = new PodChaos(this, "WorkerPodKill", {
      metadata: { name: "gosty-worker-pod-kill", namespace: ns, labels: gostyLabels() },
      spec: {
        action: PodChaosSpecAction.POD_HYPHEN_KILL,
        mode: PodChaosSpecMode.FIXED_HYPHEN_PERCENT,
        value: String(v.podKillPercent),
        selector: { namespaces: [ns], labelSelectors: { ...props.workerSelector } },
      },
    });
    this.networkDelay = new NetworkChaos(this, "ApiServerRabbitmqDelay", {
      metadata: { name: "gosty-apiserver-rabbitmq-delay", namespace: ns, labels: gostyLabels() },
      spec: {
        action: NetworkChaosSpecAction.DELAY,
        mode: NetworkChaosSpecMode.ALL,
        selector: { namespaces: [ns], labelSelectors: { ...props.apiServerSelector } },
        direction: NetworkChaosSpecDirection.TO,
        target: {
          mode: NetworkChaosSpecTargetMode.ALL,
          selector: { namespaces: [ns], labelSelectors: { ...props.rabbitmqSelector } },
        },
        delay: { latency: v.networkDelay, jitter: "0ms", correlation: "0" },
        duration: v.networkDelayDuration,
      },
    });
  }
}
