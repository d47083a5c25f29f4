import { Construct } from "constructs";
import {
  CertManagerClusterIssuer,
  CertManagerIssuer,
  CertManagerIssuerRef,
  CertManagerIssuerSpec,
} from "./cert-manager-api";
import { assertDnsLabel, assertDnsSubdomain } from "./names";

/** Let's Encrypt production directory. */
export const LETS_ENCRYPT_PRODUCTION = "https://acme-v02.api.letsencrypt.org/directory";
/** Let's Encrypt staging directory: generous rate limits, untrusted certificates. */
export const LETS_ENCRYPT_STAGING = "https://acme-staging-v02.api.letsencrypt.org/directory";

/** ACME settings of a {@link CertIssuer}. */
export interface AcmeOptions {
  /** Contact address registered with the ACME account. */
  readonly email: string;
  /**
   * ACME directory URL.
   * @default LETS_ENCRYPT_PRODUCTION
   */
  readonly server?: string;
  /**
   * IngressClass that serves the HTTP-01 challenge.
   * @default "nginx"
   */
  readonly ingressClassName?: string;
}

/** Props of {@link CertIssuer}. */
export interface CertIssuerProps {
  /** Name of the Issuer or ClusterIssuer. */
  readonly name: string;
  /**
   * Create a cluster-scoped ClusterIssuer instead of a namespaced Issuer.
   * @default false
   */
  readonly clusterScoped?: boolean;
  /**
   * Namespace of a namespaced Issuer (ignored for a ClusterIssuer).
   * @default - the chart's namespace
   */
  readonly namespace?: string;
  /**
   * Sign with an ACME CA (Let's Encrypt) through HTTP-01 challenges.
   * @default - self-signed certificates
   */
  readonly acme?: AcmeOptions;
}

const EMAIL = /^[^@\s]+@[^@\s]+\.[^@\s]+$/;

/**
 * A cert-manager Issuer or ClusterIssuer: self-signed by default (works on any
 * cluster, including kind, and is what Telegram accepts when the certificate is
 * uploaded with `setWebhook`), or ACME for publicly trusted certificates.
 */
export class CertIssuer extends Construct {
  /** What a Certificate puts in `issuerRef`. */
  readonly ref: CertManagerIssuerRef;

  constructor(scope: Construct, id: string, props: CertIssuerProps) {
    super(scope, id);
    assertDnsSubdomain("CertIssuer name", props.name);
    const clusterScoped = props.clusterScoped ?? false;
    if (!clusterScoped && props.namespace !== undefined) assertDnsLabel(`CertIssuer ${props.name}: namespace`, props.namespace);

    let spec: CertManagerIssuerSpec;
    if (props.acme) {
      const a = props.acme;
      if (!EMAIL.test(a.email)) {
        throw new Error(`CertIssuer ${props.name}: acme.email: got ${JSON.stringify(a.email)}; allowed: an e-mail address`);
      }
      const server = a.server ?? LETS_ENCRYPT_PRODUCTION;
      if (!/^https:\/\/[^\s/]+\/\S*$/.test(server)) {
        throw new Error(`CertIssuer ${props.name}: acme.server: got ${JSON.stringify(server)}; allowed: an https:// ACME directory URL`);
      }
      spec = {
        acme: {
          server,
          email: a.email,
          privateKeySecretRef: { name: `${props.name}-account-key` },
          solvers: [{ http01: { ingress: { ingressClassName: a.ingressClassName ?? "nginx" } } }],
        },
      };
    } else {
      spec = { selfSigned: {} };
    }

    if (clusterScoped) {
      new CertManagerClusterIssuer(this, "Resource", { metadata: { name: props.name }, spec });
      this.ref = { name: props.name, kind: "ClusterIssuer", group: "cert-manager.io" };
    } else {
      new CertManagerIssuer(this, "Resource", { metadata: { name: props.name, namespace: props.namespace }, spec });
      this.ref = { name: props.name, kind: "Issuer", group: "cert-manager.io" };
    }
  }
}
