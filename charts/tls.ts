import { CertManagerIssuerRef } from "../constructs/cert-manager-api";
import type { GlobalValues } from "./global-values";

/** ClusterIssuer names created by the `cluster-issuers` chart. */
export const SELF_SIGNED_CLUSTER_ISSUER = "platform-selfsigned";
export const ACME_CLUSTER_ISSUER = "platform-acme";

/** The ClusterIssuer every app Ingress uses, as chosen by `global.tls.issuer`. */
export function ingressIssuer(global: GlobalValues): CertManagerIssuerRef {
  return {
    kind: "ClusterIssuer",
    group: "cert-manager.io",
    name: global.tls.issuer === "acme" ? ACME_CLUSTER_ISSUER : SELF_SIGNED_CLUSTER_ISSUER,
  };
}
