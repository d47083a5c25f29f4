/**
 * The cluster PKI, owned by Pulumi (see design.md, "Pulumi owns the cluster PKI").
 *
 * kubeadm generates every certificate it does not find in /etc/kubernetes/pki. Handing
 * it the long-lived roots below instead makes the control plane replaceable: a new
 * instance signs its serving and component certificates with the SAME authorities, so
 * nodes, join tokens and the admin kubeconfig stay valid.
 *   - `ca`: the cluster CA; kubelets, the join discovery hash and kubeconfigs trust it.
 *   - `sa`: the service-account signing key; a new one would invalidate every issued token.
 *   - `front-proxy-ca`: trusted by aggregated API servers (metrics-server) for proxied requests.
 *   - `etcd/ca`: etcd's own CA, so every control-plane instance's etcd certificates chain to
 *     one authority (a restored snapshot or a later etcd member needs no re-trust).
 * The leaf certificates stay kubeadm's (it renews them on upgrades).
 */
import * as pulumi from "@pulumi/pulumi";
import * as tls from "@pulumi/tls";
import { stringify } from "yaml";

/** kubeadm's default CA lifetime, 10 years. */
export const CA_VALIDITY_HOURS = 10 * 365 * 24;
/** The admin client certificate lasts a year ... */
export const ADMIN_CERT_VALIDITY_HOURS = 365 * 24;
/** ... and `pulumi up` renews it once less than 30 days remain. */
export const ADMIN_CERT_EARLY_RENEWAL_HOURS = 30 * 24;

/**
 * The admin identity. kubeadm >= 1.29 puts `kubernetes-admin` in group
 * `kubeadm:cluster-admins`, bound to `cluster-admin` by a ClusterRoleBinding that
 * `kubeadm init` creates, and keeps `system:masters` for the break-glass
 * super-admin.conf that never leaves the node. `system:masters` bypasses RBAC and
 * authorization webhooks entirely, so a leaked certificate in that group could only be
 * revoked by replacing the CA; ours can be cut off by deleting one binding.
 */
export const ADMIN_USER = "kubernetes-admin";
export const ADMIN_GROUP = "kubeadm:cluster-admins";

/** Files under /etc/kubernetes/pki that the PKI secret carries, in kubeadm's names. */
export const PKI_FILES = [
  "ca.crt",
  "ca.key",
  "sa.key",
  "sa.pub",
  "front-proxy-ca.crt",
  "front-proxy-ca.key",
  "etcd/ca.crt",
  "etcd/ca.key",
] as const;
export type PkiFile = (typeof PKI_FILES)[number];

export interface ClusterPkiArgs {
  /** Cluster name; appears in the CA's organisation for humans reading certificates. */
  readonly clusterName: string;
}

interface Authority {
  readonly key: tls.PrivateKey;
  readonly cert: tls.SelfSignedCert;
}

/** The cluster's certificate authorities, the service-account key and the admin client certificate. */
export class ClusterPki extends pulumi.ComponentResource {
  /** The cluster CA certificate (public). */
  readonly caCertPem: pulumi.Output<string>;
  /** JSON object `{ "<file under /etc/kubernetes/pki>": "<PEM>" }` for the PKI secret. Secret. */
  readonly pkiSecretString: pulumi.Output<string>;
  /**
   * The service-account signing key's public half (PEM); the issuer's JWKS is made from
   * it (oidc.ts), so STS verifies exactly the tokens kube-apiserver signs.
   */
  readonly serviceAccountPublicKeyPem: pulumi.Output<string>;
  /** Admin client certificate (public) and key (secret). */
  readonly adminCertPem: pulumi.Output<string>;
  readonly adminKeyPem: pulumi.Output<string>;

  constructor(name: string, args: ClusterPkiArgs, opts?: pulumi.ComponentResourceOptions) {
    super("platform:infra:ClusterPki", name, {}, opts);
    const parent = { parent: this };

    const authority = (id: string, commonName: string): Authority => {
      // RSA 2048 is kubeadm's default key type, so every component accepts these roots.
      const key = new tls.PrivateKey(`${name}-${id}`, { algorithm: "RSA", rsaBits: 2048 }, parent);
      const cert = new tls.SelfSignedCert(
        `${name}-${id}`,
        {
          privateKeyPem: key.privateKeyPem,
          subject: { commonName, organization: args.clusterName },
          isCaCertificate: true,
          validityPeriodHours: CA_VALIDITY_HOURS,
          allowedUses: ["cert_signing", "crl_signing", "digital_signature", "key_encipherment"],
          setSubjectKeyId: true,
        },
        parent,
      );
      return { key, cert };
    };

    // Common names as kubeadm gives them, so `kubeadm certs check-expiration` reads as usual.
    const ca = authority("ca", "kubernetes");
    const frontProxyCa = authority("front-proxy-ca", "front-proxy-ca");
    const etcdCa = authority("etcd-ca", "etcd-ca");
    const serviceAccountKey = new tls.PrivateKey(`${name}-sa`, { algorithm: "RSA", rsaBits: 2048 }, parent);

    const adminKey = new tls.PrivateKey(`${name}-admin`, { algorithm: "RSA", rsaBits: 2048 }, parent);
    const adminCsr = new tls.CertRequest(
      `${name}-admin`,
      { privateKeyPem: adminKey.privateKeyPem, subject: { commonName: ADMIN_USER, organization: ADMIN_GROUP } },
      parent,
    );
    const adminCert = new tls.LocallySignedCert(
      `${name}-admin`,
      {
        certRequestPem: adminCsr.certRequestPem,
        caPrivateKeyPem: ca.key.privateKeyPem,
        caCertPem: ca.cert.certPem,
        validityPeriodHours: ADMIN_CERT_VALIDITY_HOURS,
        earlyRenewalHours: ADMIN_CERT_EARLY_RENEWAL_HOURS,
        allowedUses: ["client_auth", "digital_signature", "key_encipherment"],
      },
      parent,
    );

    this.caCertPem = ca.cert.certPem;
    this.serviceAccountPublicKeyPem = serviceAccountKey.publicKeyPem;
    this.adminCertPem = adminCert.certPem;
    this.adminKeyPem = pulumi.secret(adminKey.privateKeyPem);
    const files: Record<PkiFile, pulumi.Output<string>> = {
      "ca.crt": ca.cert.certPem,
      "ca.key": ca.key.privateKeyPem,
      "sa.key": serviceAccountKey.privateKeyPem,
      "sa.pub": serviceAccountKey.publicKeyPem,
      "front-proxy-ca.crt": frontProxyCa.cert.certPem,
      "front-proxy-ca.key": frontProxyCa.key.privateKeyPem,
      "etcd/ca.crt": etcdCa.cert.certPem,
      "etcd/ca.key": etcdCa.key.privateKeyPem,
    };
    this.pkiSecretString = pulumi.secret(pulumi.all(files).apply((pems) => pkiSecretDocument(pems)));

    this.registerOutputs({ caCertPem: this.caCertPem, adminCertPem: this.adminCertPem });
  }

  /** The admin kubeconfig for `server` (e.g. `https://203.0.113.10:6443`), as a secret output. */
  adminKubeconfig(clusterName: string, server: pulumi.Input<string>): pulumi.Output<string> {
    return pulumi.secret(
      pulumi
        .all([server, this.caCertPem, this.adminCertPem, this.adminKeyPem])
        .apply(([s, caCertPem, clientCertPem, clientKeyPem]) =>
          renderKubeconfig({ clusterName, server: s, caCertPem, clientCertPem, clientKeyPem, user: ADMIN_USER }),
        ),
    );
  }
}

/** The PKI secret's JSON, keys in {@link PKI_FILES} order; throws if a file is missing or empty. */
export function pkiSecretDocument(files: Readonly<Record<string, string>>): string {
  const doc: Record<string, string> = {};
  for (const file of PKI_FILES) {
    const pem = files[file];
    if (!pem) throw new Error(`PKI secret: no content for ${file}`);
    doc[file] = pem;
  }
  return JSON.stringify(doc);
}

export interface KubeconfigProps {
  readonly clusterName: string;
  /** `https://host:port` */
  readonly server: string;
  readonly caCertPem: string;
  readonly clientCertPem: string;
  readonly clientKeyPem: string;
  readonly user: string;
}

/** A kubeconfig with embedded credentials (the shape `kubeadm` writes to admin.conf). Pure. */
export function renderKubeconfig(p: KubeconfigProps): string {
  if (!/^https:\/\/[^/\s]+$/.test(p.server)) throw new Error(`kubeconfig: server must be https://host[:port], got '${p.server}'`);
  const b64 = (text: string) => Buffer.from(text, "utf8").toString("base64");
  const context = `${p.user}@${p.clusterName}`;
  return stringify({
    apiVersion: "v1",
    kind: "Config",
    clusters: [{ name: p.clusterName, cluster: { server: p.server, "certificate-authority-data": b64(p.caCertPem) } }],
    users: [{ name: p.user, user: { "client-certificate-data": b64(p.clientCertPem), "client-key-data": b64(p.clientKeyPem) } }],
    contexts: [{ name: context, context: { cluster: p.clusterName, user: p.user } }],
    "current-context": context,
    preferences: {},
  });
}
