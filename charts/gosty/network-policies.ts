import * as k8s from "cdk8s-plus-28/lib/imports/k8s";
import { Construct } from "constructs";
import { assertDnsLabel, assertIntegerInRange } from "../../constructs/names";
import { GOSTY_PART_OF, gostyLabels } from "./common";

/** A datastore the policies protect, and the extra callers it admits. */
export interface ProtectedDatastore {
  /** Name of the policy is `<name>-ingress`. */
  readonly name: string;
  /** Labels that select the datastore's pods. */
  readonly selector: Readonly<Record<string, string>>;
  /**
   * Namespaces (other than Gosty's) admitted on one port each, e.g. Prometheus on a metrics port.
   * @default - only Gosty's own pods
   */
  readonly admitNamespaces?: ReadonlyArray<{ readonly namespace: string; readonly port: number }>;
}

/** Props of {@link DatastorePolicies}. */
export interface DatastorePoliciesProps {
  /** Namespace of the datastores and of the policies. */
  readonly namespace: string;
  /** The datastores, one NetworkPolicy each. */
  readonly datastores: readonly ProtectedDatastore[];
}

/**
 * The brokers and databases hold the application's data and credentials: only
 * Gosty's own pods (label `app.kubernetes.io/part-of: gosty`) may connect to
 * them, plus the namespaces each datastore admits on one port. Egress stays
 * open (the apps fetch videos from wherever users point them).
 */
export class DatastorePolicies extends Construct {
  constructor(scope: Construct, id: string, props: DatastorePoliciesProps) {
    super(scope, id);
    assertDnsLabel("DatastorePolicies namespace", props.namespace);
    const fromGosty = { podSelector: { matchLabels: { "app.kubernetes.io/part-of": GOSTY_PART_OF } } };
    for (const store of props.datastores) {
      const extra = (store.admitNamespaces ?? []).map(({ namespace, port }): k8s.NetworkPolicyIngressRule => {
        assertDnsLabel(`DatastorePolicies ${store.name}: admitNamespaces namespace`, namespace);
        assertIntegerInRange(`DatastorePolicies ${store.name}: admitNamespaces port`, port, 1, 65535);
        return {
          from: [{ namespaceSelector: { matchLabels: { "kubernetes.io/metadata.name": namespace } } }],
          ports: [{ protocol: "TCP", port: k8s.IntOrString.fromNumber(port) }],
        };
      });
      new k8s.KubeNetworkPolicy(this, store.name, {
        metadata: { name: `${store.name}-ingress`, namespace: props.namespace, labels: gostyLabels() },
        spec: {
          podSelector: { matchLabels: { ...store.selector } },
          policyTypes: ["Ingress"],
          ingress: [{ from: [fromGosty] }, ...extra],
        },
      });
    }
  }
}
