import { Chart } from "cdk8s";
import { Construct } from "constructs";
import { CertIssuer } from "../../constructs/cert-issuer";
import { ACME_CLUSTER_ISSUER, SELF_SIGNED_CLUSTER_ISSUER } from "../tls";
import type { PlatformValues } from "../values";

/** Props of {@link ClusterIssuersChart}. */
export interface ClusterIssuersChartProps {
  readonly values: PlatformValues;
}

/**
 * The cert-manager ClusterIssuers every app's Ingress refers to: always a
 * self-signed one, plus an ACME one when `global.tls.issuer` is `acme`.
 */
export class ClusterIssuersChart extends Chart {
  constructor(scope: Construct, id: string, props: ClusterIssuersChartProps) {
    super(scope, id, { disableResourceNameHashes: true });
    const g = props.values.global;
    new CertIssuer(this, "SelfSigned", { name: SELF_SIGNED_CLUSTER_ISSUER, clusterScoped: true });
    if (g.tls.issuer === "acme") {
      new CertIssuer(this, "Acme", {
        name: ACME_CLUSTER_ISSUER,
        clusterScoped: true,
        acme: { email: g.tls.acmeEmail ?? "", server: g.tls.acmeServer, ingressClassName: g.ingressClass },
      });
    }
  }
}
