/**
 * What every Gosty component shares: the part-of label (the network policies
 * admit pods by it), the shell scripts shipped in ConfigMaps and probe timings.
 */
import * as fs from "node:fs";
import * as path from "node:path";
import { Duration } from "cdk8s";
import type * as kplus from "cdk8s-plus-28";
import { Peer } from "../../constructs/caller-policy";

/** Value of `app.kubernetes.io/part-of` on every object of the chart. */
export const GOSTY_PART_OF = "gosty";

/** Names (and pod label `app.kubernetes.io/name`) of Gosty's own services, which call the datastores and each other. */
export const GOSTY_NAMES = { apiServer: "gosty-apiserver", fileServer: "gosty-fileserver", worker: "gosty-worker", kibana: "kibana" } as const;

/** The pods of one of the chart's components, as a caller of another (same namespace). */
export function gostyPods(name: string): Peer {
  return Peer.pods({ "app.kubernetes.io/name": name });
}

/** Labels of the chart's objects that no workload construct labels itself. */
export function gostyLabels(): Record<string, string> {
  return { "app.kubernetes.io/part-of": GOSTY_PART_OF };
}

/**
 * A script of `charts/gosty/scripts/`, read at synth time: containers run
 * reviewed, shellcheck-clean files rather than shell built in TypeScript strings.
 */
export function gostyScript(name: string): string {
  return fs.readFileSync(path.join(__dirname, "scripts", name), "utf8");
}

/** Period, timeout (seconds) and failure threshold of a probe. */
export function probeTiming(periodSeconds: number, timeoutSeconds: number, failureThreshold: number): kplus.ProbeOptions {
  return { periodSeconds: Duration.seconds(periodSeconds), timeoutSeconds: Duration.seconds(timeoutSeconds), failureThreshold };
}
