import { Duration } from "cdk8s";
import * as kplus from "cdk8s-plus-28";
import { Construct } from "constructs";
import { ConfigFiles } from "../../constructs/config-files";
import { Microservice } from "../../constructs/microservice";
import { NodePortService } from "../../constructs/node-port-service";
import type { WorkloadProbes } from "../../constructs/workload-props";
import { renderHaproxyConfig } from "./haproxy-config";
import { DLSTREAMER_NAMES, HAPROXY_PORT, HAPROXY_STATS_PORT } from "./names";
import type { HaproxyValues } from "./values";

/** The pods HAProxy balances over, as the cluster DNS publishes them. */
export interface HaproxyBackend {
  /** FQDN of the headless Service whose SRV records list the ready pods. */
  readonly serviceFqdn: string;
  /** Name of the Service port (SRV records are `_<name>._tcp.<service>`). */
  readonly portName: string;
  /** HTTP path HAProxy health-checks every pod on. */
  readonly healthCheckPath: string;
}

/** Props of {@link Haproxy}. */
export interface HaproxyProps {
  /** Namespace of every object. */
  readonly namespace: string;
  /** Label `app.kubernetes.io/part-of` of every object. */
  readonly partOf: string;
  /** The `dlstreamer.haproxy` values: image, replicas, node port, server slots, timeout, resources. */
  readonly values: HaproxyValues;
  readonly backend: HaproxyBackend;
}

/**
 * HAProxy in front of the pipeline servers, reachable from outside on a node
 * port. It never needs a rebuild or redeploy when pipeline server pods come
 * and go: it discovers them at run time through the headless Service's DNS
 * SRV records (see haproxy-config.ts).
 */
export class Haproxy extends Construct {
  readonly microservice: Microservice;
  readonly nodePort: NodePortService;
  /** Labels that select the HAProxy pods. */
  readonly selectorLabels: Readonly<Record<string, string>>;

  constructor(scope: Construct, id: string, props: HaproxyProps) {
    super(scope, id);
    const h = props.values;
    const labels = { "app.kubernetes.io/part-of": props.partOf };
    const config = new ConfigFiles(this, "Config", {
      name: "haproxy-config",
      namespace: props.namespace,
      labels,
      files: {
        "haproxy.cfg": renderHaproxyConfig({
          serviceFqdn: props.backend.serviceFqdn,
          servicePortName: props.backend.portName,
          maxServers: h.maxServers,
          listenPort: HAPROXY_PORT,
          statsPort: HAPROXY_STATS_PORT,
          healthCheckPath: props.backend.healthCheckPath,
          timeouts: { server: h.serverTimeoutSeconds, client: h.serverTimeoutSeconds },
        }),
      },
    });
    // "Default" keeps the construct address, and so the pods' cdk8s.io/metadata.addr label, of a Microservice created in the chart.
    this.microservice = new Microservice(this, "Default", {
      name: DLSTREAMER_NAMES.haproxy,
      namespace: props.namespace,
      partOf: props.partOf,
      image: h.image,
      // The image's entrypoint prepends `haproxy -W -db` to arguments starting with "-".
      args: ["-f", "/usr/local/etc/haproxy-rendered/haproxy.cfg"],
      port: HAPROXY_PORT,
      expose: false,
      // Clients come through the node port (the NodePortService admits any
      // source on the pipeline port); Prometheus gets the stats port by `metrics`.
      callers: [],
      probes: healthProbes(),
      replicas: h.replicas,
      resources: h.resources,
      metrics: { port: HAPROXY_STATS_PORT, path: "/metrics" },
      // SIGTERM stops HAProxy at once: let the Service drop the pod first.
      shutdown: { terminationGracePeriodSeconds: 30, preStopSleepSeconds: 5 },
      // Two HAProxy pods on one node would fail together.
      spreadOverNodes: "ScheduleAnyway",
    });
    this.selectorLabels = this.microservice.selectorLabels;
    const deployment = this.microservice.deployment;
    const container = deployment.containers[0];
    container.addPort({ number: HAPROXY_STATS_PORT, name: "stats" });
    config.mount(container, "/usr/local/etc/haproxy-rendered");
    config.rolloutOnChange(deployment);
    this.nodePort = new NodePortService(this, "NodePort", {
      name: DLSTREAMER_NAMES.haproxy,
      namespace: props.namespace,
      labels,
      selector: this.selectorLabels,
      ports: [{ name: "http", port: HAPROXY_PORT, targetPort: HAPROXY_PORT, nodePort: h.nodePort }],
    });
  }
}

/**
 * The pipeline port has no health endpoint of its own; /healthz on the stats
 * port answers as long as HAProxy runs, whatever the pipeline servers do
 * (their health is HAProxy's business, not a reason to restart it).
 */
function healthProbes(): WorkloadProbes {
  const health = (periodSeconds: number, failureThreshold: number) =>
    kplus.Probe.fromHttpGet("/healthz", {
      port: HAPROXY_STATS_PORT,
      periodSeconds: Duration.seconds(periodSeconds),
      timeoutSeconds: Duration.seconds(2),
      failureThreshold,
    });
  return { readiness: health(5, 2), liveness: health(10, 3), startup: health(2, 15) };
}
