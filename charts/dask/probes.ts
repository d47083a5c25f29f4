import { Duration } from "cdk8s";
import * as kplus from "cdk8s-plus-28";

/**
 * Liveness of a Dask or Jupyter server: the port still accepts connections.
 * Each has one health endpoint, which serves readiness; a liveness probe
 * identical to readiness would restart a busy scheduler, worker or kernel.
 */
export function portLiveness(port: number): kplus.Probe {
  return kplus.Probe.fromTcpSocket({ port, periodSeconds: Duration.seconds(20), timeoutSeconds: Duration.seconds(3), failureThreshold: 3 });
}

/** Readiness, liveness and startup on a port alone, for servers without an HTTP health endpoint. */
export function portProbes(port: number): { readiness: kplus.Probe; liveness: kplus.Probe; startup: kplus.Probe } {
  return {
    readiness: kplus.Probe.fromTcpSocket({ port, periodSeconds: Duration.seconds(10), timeoutSeconds: Duration.seconds(3), failureThreshold: 3 }),
    liveness: portLiveness(port),
    startup: kplus.Probe.fromTcpSocket({ port, periodSeconds: Duration.seconds(5), failureThreshold: 24 }),
  };
}
