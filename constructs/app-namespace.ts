import { ApiObject, Chart, JsonPatch } from "cdk8s";
import * as kplus from "cdk8s-plus-28";
import { KubeNetworkPolicy } from "cdk8s-plus-28/lib/imports/k8s";
import { Construct } from "constructs";
import { assertDnsLabel } from "./names";

/** Pod Security Standards level enforced by the namespace. */
export type PodSecurityLevel = "restricted" | "baseline" | "privileged";

/** From strictest to weakest. */
const LEVELS: readonly PodSecurityLevel[] = ["restricted", "baseline", "privileged"];

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
   * Level the API server warns about (`kubectl` warnings) and audits. Keep it
   * at `restricted` when {@link podSecurity} is lowered for one workload, so
   * that every other pod weaker than `restricted` still shows up.
   * @default - the enforced level
   */
  readonly podSecurityWarn?: PodSecurityLevel;
  /**
   * Extra labels on the namespace.
   * @default - none
   */
  readonly labels?: Record<string, string>;
  /**
   * Deny every pod of the namespace egress to the EC2 instance metadata service (a
   * NetworkPolicy allowing all other egress). The second wall after IMDS hop limit 1:
   * pods assume their own roles and never need the node's. Host-network pods are not
   * subject to NetworkPolicies.
   * @default true
   */
  readonly denyInstanceMetadata?: boolean;
  /**
   * Deny every pod of the namespace all incoming connections (a NetworkPolicy
   * selecting all pods, with no ingress rule): a component admits its callers
   * with a policy of its own (CallerPolicy, which Microservice, StatefulService
   * and HostDaemonSet create from their `callers`). Connections from a pod's own
   * node (the kubelet's probes) are always allowed; host-network pods are not
   * subject to NetworkPolicies.
   * @default true
   */
  readonly denyIngress?: boolean;
}

/** Name of the namespace-wide default-deny ingress policy. */
export const DEFAULT_DENY_INGRESS = "default-deny-ingress";

/** The instance metadata service's addresses (IPv4, and IPv6 on Nitro instances). */
export const INSTANCE_METADATA_CIDRS = { ipv4: "169.254.169.254/32", ipv6: "fd00:ec2::254/128" } as const;

/**
 * A namespace for one application, with Pod Security Admission enforcing the
 * chosen Pod Security Standards level and warning and auditing at that level
 * or a stricter one, no incoming connection but those its components admit, and
 * no way to the instance metadata service.
 */
export class AppNamespace extends Construct {
  readonly namespace: kplus.Namespace;
  readonly name: string;

  constructor(scope: Construct, id: string, props: AppNamespaceProps) {
    super(scope, id);
    assertDnsLabel("AppNamespace name", props.name);
    const level = props.podSecurity ?? "restricted";
    const warn = props.podSecurityWarn ?? level;
    for (const [key, value] of [["podSecurity", level], ["podSecurityWarn", warn]]) {
      if (!LEVELS.includes(value as PodSecurityLevel)) {
        throw new Error(`AppNamespace ${props.name}: ${key}: got ${JSON.stringify(value)}; allowed: restricted, baseline or privileged`);
      }
    }
    if (LEVELS.indexOf(warn) > LEVELS.indexOf(level)) {
      throw new Error(
        `AppNamespace ${props.name}: podSecurityWarn: got ${JSON.stringify(warn)}; allowed: the enforced level (${level}) or a stricter one (a weaker one would never warn)`,
      );
    }
    this.name = props.name;
    this.namespace = new kplus.Namespace(this, "Resource", {
      metadata: {
        name: props.name,
        labels: {
          ...props.labels,
          "pod-security.kubernetes.io/enforce": level,
          "pod-security.kubernetes.io/warn": warn,
          "pod-security.kubernetes.io/audit": warn,
        },
      },
    });
    // A Namespace is cluster-scoped, but cdk8s gives it the chart's namespace like any
    // object; Pulumi's ConfigGroup then sees a namespace inside itself (a cycle).
    if (Chart.of(this).namespace !== undefined) {
      ApiObject.of(this.namespace).addJsonPatch(JsonPatch.remove("/metadata/namespace"));
    }
    if (props.denyIngress ?? true) {
      new KubeNetworkPolicy(this, "DenyIngress", {
        metadata: { name: DEFAULT_DENY_INGRESS, namespace: props.name },
        spec: { podSelector: {}, policyTypes: ["Ingress"] },
      });
    }
    if (props.denyInstanceMetadata ?? true) {
      new KubeNetworkPolicy(this, "DenyInstanceMetadata", {
        metadata: { name: "deny-instance-metadata", namespace: props.name },
        spec: {
          podSelector: {},
          policyTypes: ["Egress"],
          egress: [
            {
              to: [
                // Pods of every namespace (Calico matches pod addresses by ipBlock too; this keeps them explicit).
                { namespaceSelector: {} },
                { ipBlock: { cidr: "0.0.0.0/0", except: [INSTANCE_METADATA_CIDRS.ipv4] } },
                { ipBlock: { cidr: "::/0", except: [INSTANCE_METADATA_CIDRS.ipv6] } },
              ],
            },
          ],
        },
      });
    }
  }
}
