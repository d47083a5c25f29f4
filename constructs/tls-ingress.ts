import { ApiObject } from "cdk8s";
import * as kplus from "cdk8s-plus-28";
import { Construct } from "constructs";
import { CallerPolicy, Peer } from "./caller-policy";
import { CertIssuer } from "./cert-issuer";
import { CertManagerCertificate, CertManagerIssuerRef } from "./cert-manager-api";
import { assertDnsLabel, assertDnsSubdomain, assertHostName } from "./names";

/** IngressClass created by the F5 NGINX Ingress Controller Helm chart (`controller.ingressClass.name`). */
export const DEFAULT_INGRESS_CLASS = "nginx";

/** Props of {@link TlsIngress}. */
export interface TlsIngressProps {
  /** Name of the Ingress; also the stem of the Certificate and TLS Secret names. */
  readonly name: string;
  /**
   * Namespace of the Ingress, Certificate and TLS Secret (the backend Service's namespace).
   * @default - the chart's namespace
   */
  readonly namespace?: string;
  /** Host name clients use; the certificate is issued for it. */
  readonly host: string;
  /** Service receiving the traffic. */
  readonly service: kplus.Service;
  /**
   * Port of {@link service} to route to.
   * @default - the service's only port
   */
  readonly servicePort?: number;
  /**
   * Path prefix routed to the service.
   * @default "/"
   */
  readonly path?: string;
  /**
   * IngressClass handling this Ingress.
   * @default DEFAULT_INGRESS_CLASS ("nginx", the F5 NGINX Ingress Controller)
   */
  readonly ingressClassName?: string;
  /**
   * Issuer that signs the certificate.
   * @default - a namespaced self-signed Issuer created next to the Ingress
   */
  readonly issuer?: CertManagerIssuerRef;
  /**
   * Name of the Secret cert-manager writes the certificate into.
   * @default `${name}-tls`
   */
  readonly tlsSecretName?: string;
  /**
   * Extra annotations for the ingress controller.
   * @default - none
   */
  readonly annotations?: Record<string, string>;
  /**
   * The ingress controller's pods, admitted to the service's pods on the routed
   * port by a NetworkPolicy of this construct (`<name>-from-ingress-controller`).
   * @default Peer.ingressController() (the platform's F5 NGINX Ingress Controller)
   */
  readonly controller?: Peer;
}

/** The label cert-manager puts on its HTTP-01 solver pods, and the port `acmesolver` listens on. */
const ACME_HTTP01_SOLVER_LABELS = { "acme.cert-manager.io/http01-solver": "true" };
const ACME_HTTP01_SOLVER_PORT = 8089;

/**
 * An Ingress that terminates TLS for one host with a certificate that
 * cert-manager issues and renews. The Certificate is declared explicitly
 * (rather than through cert-manager's ingress annotations) so the manifests show
 * exactly which issuer signs what, and the common name matches the host, as
 * clients that pin a self-signed certificate (Telegram webhooks) require.
 */
export class TlsIngress extends Construct {
  readonly ingress: kplus.Ingress;
  readonly certificate: CertManagerCertificate;
  readonly tlsSecretName: string;
  readonly issuer: CertManagerIssuerRef;
  /** Admits the ingress controller to the backend's pods on the routed port. */
  readonly controllerPolicy: CallerPolicy;
  /**
   * Admits the ingress controller to the ACME HTTP-01 solver pods cert-manager starts in
   * this namespace while it proves the host to an ACME issuer (Let's Encrypt); without it
   * the namespace's default deny fails every challenge. Selects nothing otherwise.
   */
  readonly solverPolicy: CallerPolicy;

  constructor(scope: Construct, id: string, props: TlsIngressProps) {
    super(scope, id);
    assertDnsSubdomain("TlsIngress name", props.name);
    assertHostName(`TlsIngress ${props.name}: host`, props.host);
    if (props.namespace !== undefined) assertDnsLabel(`TlsIngress ${props.name}: namespace`, props.namespace);
    const path = props.path ?? "/";
    if (!/^\/[A-Za-z0-9._~/-]*$/.test(path)) {
      throw new Error(`TlsIngress ${props.name}: path: got ${JSON.stringify(path)}; allowed: an absolute HTTP path such as /`);
    }
    const className = props.ingressClassName ?? DEFAULT_INGRESS_CLASS;
    assertDnsSubdomain(`TlsIngress ${props.name}: ingressClassName`, className);
    this.tlsSecretName = props.tlsSecretName ?? `${props.name}-tls`;
    assertDnsSubdomain(`TlsIngress ${props.name}: tlsSecretName`, this.tlsSecretName);

    this.issuer =
      props.issuer ??
      new CertIssuer(this, "SelfSignedIssuer", { name: `${props.name}-selfsigned`, namespace: props.namespace }).ref;

    this.certificate = new CertManagerCertificate(this, "Certificate", {
      metadata: {
        name: props.name,
        namespace: props.namespace,
        annotations: {
          // The F5 NGINX Ingress Controller serves a host from one Ingress only
          // (the oldest): an ACME HTTP-01 solver Ingress for the same host would
          // be ignored. cert-manager instead adds the challenge path to this
          // Ingress. Ignored by issuers that do not solve HTTP-01.
          "acme.cert-manager.io/http01-override-ingress-name": props.name,
          // A placeholder certificate until the real one is issued, so the TLS
          // Ingress works (and the HTTPS redirect of the challenge succeeds) meanwhile.
          "cert-manager.io/issue-temporary-certificate": "true",
        },
      },
      spec: {
        secretName: this.tlsSecretName,
        issuerRef: this.issuer,
        commonName: props.host,
        dnsNames: [props.host],
        privateKey: { algorithm: "RSA", size: 2048, rotationPolicy: "Always" },
      },
    });

    const ports = props.service.ports;
    const port = props.servicePort ?? (ports.length === 1 ? ports[0].port : undefined);
    if (port === undefined || !ports.some((p) => p.port === port)) {
      throw new Error(
        `TlsIngress ${props.name}: servicePort: got ${JSON.stringify(props.servicePort)}; allowed: one of the service's ports (${ports.map((p) => p.port).join(", ")})`,
      );
    }

    this.controllerPolicy = this.admitController(props, port);
    this.solverPolicy = new CallerPolicy(this, "FromControllerToAcmeSolver", {
      name: `${props.name}-acme-http01-solver`,
      namespace: props.namespace,
      podSelector: ACME_HTTP01_SOLVER_LABELS,
      callers: [{ peer: props.controller ?? Peer.ingressController(), ports: [ACME_HTTP01_SOLVER_PORT] }],
    });

    this.ingress = new kplus.Ingress(this, "Ingress", {
      metadata: { name: props.name, namespace: props.namespace, annotations: props.annotations },
      className,
      rules: [
        {
          host: props.host,
          path,
          pathType: kplus.HttpIngressPathType.PREFIX,
          backend: kplus.IngressBackend.fromService(props.service, { port }),
        },
      ],
      tls: [{ hosts: [props.host], secret: kplus.Secret.fromSecretName(this, "TlsSecret", this.tlsSecretName) }],
    });
  }

  /**
   * The application namespace denies all ingress: the controller gets in on the
   * pods' port behind the routed Service port. Read from the Service as it is now
   * (its selector and ports are set when it is created).
   */
  private admitController(props: TlsIngressProps, servicePort: number): CallerPolicy {
    const spec = ApiObject.of(props.service).toJson().spec as { selector?: Record<string, string> };
    if (spec.selector === undefined || Object.keys(spec.selector).length === 0) {
      throw new Error(`TlsIngress ${props.name}: service: got a Service without a pod selector; allowed: a Service that selects its pods (the controller is admitted to them)`);
    }
    const routed = props.service.ports.find((p) => p.port === servicePort)!;
    return new CallerPolicy(this, "FromController", {
      name: `${props.name}-from-ingress-controller`,
      namespace: props.namespace,
      podSelector: spec.selector,
      callers: [{ peer: props.controller ?? Peer.ingressController(), ports: [routed.targetPort ?? routed.port] }],
    });
  }
}
