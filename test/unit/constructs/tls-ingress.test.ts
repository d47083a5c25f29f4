import { Chart, Testing } from "cdk8s";
import * as kplus from "cdk8s-plus-28";
import { Peer } from "../../../constructs/caller-policy";
import { CertIssuer } from "../../../constructs/cert-issuer";
import { TlsIngress, TlsIngressProps } from "../../../constructs/tls-ingress";

type Obj = Record<string, any>; // eslint-disable-line @typescript-eslint/no-explicit-any

function synth(props: Partial<TlsIngressProps> = {}, servicePorts: kplus.ServicePort[] = [{ port: 80, targetPort: 8080 }]): Obj[] {
  const chart = new Chart(Testing.app(), "test");
  const service = new kplus.Service(chart, "Svc", { metadata: { name: "web", namespace: "demo" }, ports: servicePorts });
  service.selectLabel("app.kubernetes.io/name", "web");
  new TlsIngress(chart, "Ing", { name: "web", namespace: "demo", host: "web.example.com", service, ...props });
  return Testing.synth(chart) as Obj[];
}
const one = (objs: Obj[], kind: string) => {
  const found = objs.filter((o) => o.kind === kind);
  expect(found).toHaveLength(1);
  return found[0];
};

const named = (objs: Obj[], name: string) => {
  const found = objs.filter((o) => o.kind === "NetworkPolicy" && o.metadata.name === name);
  expect(found).toHaveLength(1);
  return found[0];
};

describe("TlsIngress", () => {
  test("terminates TLS for the host with a certificate cert-manager issues", () => {
    const objs = synth();
    const ing = one(objs, "Ingress");
    expect(ing.spec.ingressClassName).toBe("nginx");
    expect(ing.spec.tls).toEqual([{ hosts: ["web.example.com"], secretName: "web-tls" }]);
    expect(ing.spec.rules[0]).toEqual({
      host: "web.example.com",
      http: { paths: [{ path: "/", pathType: "Prefix", backend: { service: { name: "web", port: { number: 80 } } } }] },
    });
    const cert = one(objs, "Certificate");
    expect(cert).toMatchObject({
      apiVersion: "cert-manager.io/v1",
      metadata: { name: "web", namespace: "demo" },
      spec: { secretName: "web-tls", commonName: "web.example.com", dnsNames: ["web.example.com"] },
    });
    // ACME HTTP-01 through this Ingress: the F5 NGINX Ingress Controller ignores a second Ingress for the same host.
    expect(cert.metadata.annotations).toEqual({
      "acme.cert-manager.io/http01-override-ingress-name": ing.metadata.name,
      "cert-manager.io/issue-temporary-certificate": "true",
    });
  });

  test("admits the ingress controller to the backend's pods on the routed target port, and nothing else", () => {
    const policy = named(synth(), "web-from-ingress-controller");
    expect(policy).toEqual({
      apiVersion: "networking.k8s.io/v1",
      kind: "NetworkPolicy",
      metadata: { name: "web-from-ingress-controller", namespace: "demo" },
      spec: {
        podSelector: { matchLabels: { "app.kubernetes.io/name": "web" } },
        policyTypes: ["Ingress"],
        ingress: [
          {
            from: [
              {
                namespaceSelector: { matchLabels: { "kubernetes.io/metadata.name": "nginx-ingress" } },
                podSelector: { matchLabels: { "app.kubernetes.io/name": "nginx-ingress", "app.kubernetes.io/instance": "nginx-ingress" } },
              },
            ],
            ports: [{ protocol: "TCP", port: 8080 }],
          },
        ],
      },
    });
    // Another controller when asked; a Service port without targetPort is the pod's port.
    const other = named(synth({ servicePort: 9090, controller: Peer.namespace("edge") }, [{ port: 80, targetPort: 8080, name: "http" }, { port: 9090, name: "metrics" }]), "web-from-ingress-controller");
    expect(other.spec.ingress).toEqual([{ from: [{ namespaceSelector: { matchLabels: { "kubernetes.io/metadata.name": "edge" } } }], ports: [{ protocol: "TCP", port: 9090 }] }]);
  });

  test("admits the ingress controller to cert-manager's ACME HTTP-01 solver pods (port 8089), which the namespace's default deny would block", () => {
    const objs = synth();
    expect(objs.filter((o) => o.kind === "NetworkPolicy").map((o) => o.metadata.name).sort()).toEqual(["web-acme-http01-solver", "web-from-ingress-controller"]);
    const solver = named(objs, "web-acme-http01-solver");
    expect(solver.spec.podSelector).toEqual({ matchLabels: { "acme.cert-manager.io/http01-solver": "true" } });
    expect(solver.spec.ingress).toEqual([
      {
        from: [
          {
            namespaceSelector: { matchLabels: { "kubernetes.io/metadata.name": "nginx-ingress" } },
            podSelector: { matchLabels: { "app.kubernetes.io/name": "nginx-ingress", "app.kubernetes.io/instance": "nginx-ingress" } },
          },
        ],
        ports: [{ protocol: "TCP", port: 8089 }],
      },
    ]);
  });

  test("refuses a Service that selects no pods (there would be nothing to admit the controller to)", () => {
    const chart = new Chart(Testing.app(), "test");
    const service = new kplus.Service(chart, "Svc", { metadata: { name: "web" }, ports: [{ port: 80 }] });
    expect(() => new TlsIngress(chart, "Ing", { name: "web", host: "web.example.com", service })).toThrow(/service: got a Service without a pod selector/);
  });

  test("self-signed by default: a namespaced Issuer next to the Ingress", () => {
    const objs = synth();
    const issuer = one(objs, "Issuer");
    expect(issuer).toEqual({ apiVersion: "cert-manager.io/v1", kind: "Issuer", metadata: { name: "web-selfsigned", namespace: "demo" }, spec: { selfSigned: {} } });
    expect(one(objs, "Certificate").spec.issuerRef).toEqual({ name: "web-selfsigned", kind: "Issuer", group: "cert-manager.io" });
  });

  test("a given issuer is used and no Issuer is created", () => {
    const objs = synth({ issuer: { name: "platform-acme", kind: "ClusterIssuer" }, ingressClassName: "nginx-public", tlsSecretName: "web-cert" });
    expect(objs.filter((o) => o.kind === "Issuer")).toEqual([]);
    expect(one(objs, "Certificate").spec).toMatchObject({ issuerRef: { name: "platform-acme", kind: "ClusterIssuer" }, secretName: "web-cert" });
    expect(one(objs, "Ingress").spec).toMatchObject({ ingressClassName: "nginx-public", tls: [{ secretName: "web-cert" }] });
  });

  test("with several service ports, the port must be chosen", () => {
    const ports = [{ port: 80, targetPort: 8080, name: "http" }, { port: 9090, name: "metrics" }];
    expect(() => synth({}, ports)).toThrow(/servicePort: got undefined; allowed: one of the service's ports \(80, 9090\)/);
    expect(one(synth({ servicePort: 9090 }, ports), "Ingress").spec.rules[0].http.paths[0].backend.service.port.number).toBe(9090);
  });

  test.each([
    [{ host: "localhost" }, /host: got "localhost"; allowed: a fully qualified/],
    [{ host: "Web.Example.com" }, /host: got "Web.Example.com"/],
    [{ path: "webhook" }, /path: got "webhook"/],
    [{ servicePort: 443 }, /servicePort: got 443/],
    [{ ingressClassName: "NGINX" }, /ingressClassName: got "NGINX"/],
  ] as [Partial<TlsIngressProps>, RegExp][])("rejects %p", (props, message) => {
    expect(() => synth(props)).toThrow(message);
  });
});

describe("CertIssuer", () => {
  const synthIssuer = (props: ConstructorParameters<typeof CertIssuer>[2]) => {
    const chart = new Chart(Testing.app(), "t");
    const issuer = new CertIssuer(chart, "I", props);
    return { objs: Testing.synth(chart) as Obj[], ref: issuer.ref };
  };

  test("ACME ClusterIssuer with an HTTP-01 solver on the ingress class", () => {
    const { objs, ref } = synthIssuer({ name: "le", clusterScoped: true, acme: { email: "ops@example.org", ingressClassName: "nginx" } });
    expect(ref).toEqual({ name: "le", kind: "ClusterIssuer", group: "cert-manager.io" });
    expect(objs).toEqual([
      {
        apiVersion: "cert-manager.io/v1",
        kind: "ClusterIssuer",
        metadata: { name: "le" },
        spec: {
          acme: {
            server: "https://acme-v02.api.letsencrypt.org/directory",
            email: "ops@example.org",
            privateKeySecretRef: { name: "le-account-key" },
            solvers: [{ http01: { ingress: { ingressClassName: "nginx" } } }],
          },
        },
      },
    ]);
  });

  test("rejects a bad e-mail and a non-https server", () => {
    expect(() => synthIssuer({ name: "le", acme: { email: "ops" } })).toThrow(/acme.email: got "ops"/);
    expect(() => synthIssuer({ name: "le", acme: { email: "a@b.io", server: "http://x.example/dir" } })).toThrow(/acme.server/);
  });
});
