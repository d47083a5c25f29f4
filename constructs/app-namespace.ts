import * as kplus from "cdk8s-plus-28";
import { Construct } from "constructs";
import { assertDnsLabel } from "./names";

/** Pod Security Standards level enforced by the namespace. */
export type PodSecurityLevel = "restricted" | "baseline" | "privileged";

/** Props of {@link AppNamespace}. */
export interface AppNamespaceProps {
  /** Name of the namespace. */
  readonly name: string;
  /**
   * Pod Security Admission level enforced on every pod. `restricted` matches
   * the Microservice defaults; lower it only for workloads that opted out.
   * @default "restricted"
   */
  readonly podSecurity?: PodSecurityLevel;
  /**
   * Extra labels on the namespace.
   * @default - none
   */
  readonly labels?: Record<string, string>;
}

/**
 * A namespace for one application, with Pod Security Admission enforcing (and
 * warning and auditing at) the chosen Pod Security Standards level.
 */
export class AppNamespace extends Construct {
  readonly namespace: kplus.Namespace;
  readonly name: string;

  constructor(scope: Construct, id: string, props: AppNamespaceProps) {
    super(scope, id);
    assertDnsLabel("AppNamespace name", props.name);
    const level = props.podSecurity ?? "restricted";
    if (!["restricted", "baseline", "privileged"].includes(level)) {
      throw new Error(`AppNamespace ${props.name}: podSecurity: got ${JSON.stringify(level)}; allowed: restricted, baseline or privileged`);
    }
    this.name = props.name;
    this.namespace = new kplus.Namespace(this, "Resource", {
      metadata: {
        name: props.name,
        labels: {
          ...props.labels,
          "pod-security.kubernetes.io/enforce": level,
          "pod-security.kubernetes.io/warn": level,
          "pod-security.kubernetes.io/audit": level,
        },
      },
    });
  }
}
