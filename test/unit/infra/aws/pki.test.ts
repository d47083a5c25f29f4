/**
 * The cluster PKI (ClusterPki), its secrets (ClusterSecrets) and the etcd backup bucket,
 * under Pulumi mocks. The tls provider's outputs are stood in by labelled fake PEMs so
 * that tests can tell which key ended up where.
 */
import * as pulumi from "@pulumi/pulumi";
import { parse } from "yaml";
import { installPulumiMocks, TEST_ACCOUNT, TEST_REGION, valueOf } from "../../support/pulumi-mocks";
import { fakePem, mockPublicKeyPem, plain, tlsState } from "../../support/tls-mocks";

const mocks = installPulumiMocks({ resourceState: tlsState });

import { ADMIN_GROUP, ADMIN_USER, ClusterPki, PKI_FILES, pkiSecretDocument, renderKubeconfig } from "../../../../infra/aws/pki";
import { ClusterSecrets, secretNames } from "../../../../infra/aws/secrets";
import { backupLifecycleRules, EtcdBackupBucket, snapshotsToKeep } from "../../../../infra/aws/backups";
import { backupBucketPolicy } from "../../../../infra/policies/backup-bucket";
import { clusterKeyPolicy } from "../../../../infra/policies/cluster-key";

beforeEach(() => mocks.reset());

describe("ClusterPki", () => {
  async function build() {
    const pki = new ClusterPki("pki", { clusterName: "demo" });
    const kubeconfig = pki.adminKubeconfig("demo", "https://198.51.100.20:6443");
    const secretString = await valueOf(pki.pkiSecretString);
    const config = await valueOf(kubeconfig);
    await mocks.settle();
    return { pki, kubeconfig, secretString, config };
  }

  it("creates the cluster, front-proxy and etcd CAs as 10-year CA certificates with kubeadm's names", async () => {
    await build();
    const cas = mocks.ofType("tls:index/selfSignedCert:SelfSignedCert");
    expect(cas.map((c) => c.inputs.subject.commonName).sort()).toEqual(["etcd-ca", "front-proxy-ca", "kubernetes"]);
    for (const ca of cas) {
      expect(ca.inputs.isCaCertificate).toBe(true);
      expect(ca.inputs.allowedUses).toContain("cert_signing");
      expect(ca.inputs.validityPeriodHours).toBe(87600);
    }
    for (const key of mocks.ofType("tls:index/privateKey:PrivateKey")) {
      expect(key.inputs).toMatchObject({ algorithm: "RSA", rsaBits: 2048 });
    }
  });

  it("signs an admin client certificate for kubernetes-admin in kubeadm:cluster-admins (not system:masters) with the cluster CA", async () => {
    await build();
    const csr = mocks.one("tls:index/certRequest:CertRequest");
    expect(csr.inputs.subject).toEqual({ commonName: ADMIN_USER, organization: ADMIN_GROUP });
    expect(ADMIN_GROUP).toBe("kubeadm:cluster-admins");
    const cert = mocks.one("tls:index/locallySignedCert:LocallySignedCert");
    expect(cert.inputs.allowedUses).toEqual(["client_auth", "digital_signature", "key_encipherment"]);
    expect(cert.inputs.caCertPem).toBe(fakePem("CERTIFICATE", "pki-ca"));
    expect(plain(cert.inputs.caPrivateKeyPem)).toBe(fakePem("RSA PRIVATE KEY", "pki-ca"));
    expect(cert.inputs.earlyRenewalHours).toBeGreaterThan(0);
  });

  it("puts every file kubeadm must reuse into the secret document, under its pki/ path", async () => {
    const { secretString } = await build();
    const doc = JSON.parse(secretString);
    expect(Object.keys(doc)).toEqual([...PKI_FILES]);
    expect(doc["ca.crt"]).toBe(fakePem("CERTIFICATE", "pki-ca"));
    expect(doc["ca.key"]).toBe(fakePem("RSA PRIVATE KEY", "pki-ca"));
    expect(doc["sa.key"]).toBe(fakePem("RSA PRIVATE KEY", "pki-sa"));
    expect(doc["sa.pub"]).toBe(mockPublicKeyPem("pki-sa"));
    expect(doc["front-proxy-ca.key"]).toBe(fakePem("RSA PRIVATE KEY", "pki-front-proxy-ca"));
    expect(doc["etcd/ca.crt"]).toBe(fakePem("CERTIFICATE", "pki-etcd-ca"));
  });

  it("keeps the PKI document, the admin key and the kubeconfig secret", async () => {
    const { pki, kubeconfig } = await build();
    expect(await pulumi.isSecret(pki.pkiSecretString)).toBe(true);
    expect(await pulumi.isSecret(pki.adminKeyPem)).toBe(true);
    expect(await pulumi.isSecret(kubeconfig)).toBe(true);
    expect(await pulumi.isSecret(pki.caCertPem)).toBe(false);
  });

  it("builds an admin kubeconfig for the public endpoint with the CA and the admin credentials", async () => {
    const { config } = await build();
    const kc = parse(config);
    const b64 = (s: string) => Buffer.from(s, "base64").toString("utf8");
    expect(kc.clusters[0].cluster.server).toBe("https://198.51.100.20:6443");
    expect(b64(kc.clusters[0].cluster["certificate-authority-data"])).toBe(fakePem("CERTIFICATE", "pki-ca"));
    expect(kc.users[0].name).toBe("kubernetes-admin");
    expect(b64(kc.users[0].user["client-certificate-data"])).toBe(fakePem("CERTIFICATE", "pki-admin"));
    expect(b64(kc.users[0].user["client-key-data"])).toBe(fakePem("RSA PRIVATE KEY", "pki-admin"));
    expect(kc["current-context"]).toBe("kubernetes-admin@demo");
  });
});

describe("pure PKI helpers", () => {
  it("refuses a PKI document with a file missing", () => {
    const files = Object.fromEntries(PKI_FILES.map((f) => [f, "x"]));
    expect(() => pkiSecretDocument(files)).not.toThrow();
    delete files["sa.pub"];
    expect(() => pkiSecretDocument(files)).toThrow(/sa\.pub/);
  });

  it("refuses a kubeconfig server that is not https://host[:port]", () => {
    const base = { clusterName: "demo", caCertPem: "a", clientCertPem: "b", clientKeyPem: "c", user: "u" };
    expect(() => renderKubeconfig({ ...base, server: "http://198.51.100.20:6443" })).toThrow(/https/);
    expect(() => renderKubeconfig({ ...base, server: "https://198.51.100.20:6443/" })).toThrow(/https/);
  });
});

describe("ClusterSecrets", () => {
  async function build() {
    const secrets = new ClusterSecrets("secrets", {
      clusterName: "demo",
      region: TEST_REGION,
      pkiSecretString: pulumi.secret('{"ca.crt":"x"}'),
      tags: { team: "platform" },
    });
    const arns = await valueOf(pulumi.all([secrets.kmsKeyArn, secrets.pkiSecretArn, secrets.joinSecretArn]));
    await mocks.settle();
    return { secrets, arns };
  }

  it("creates a customer-managed key with rotation on and a policy that only lets Secrets Manager and S3 use it", async () => {
    await build();
    const key = mocks.one("aws:kms/key:Key");
    expect(key.inputs.enableKeyRotation).toBe(true);
    expect(key.inputs.deletionWindowInDays).toBe(7);
    const policy = JSON.parse(key.inputs.policy);
    expect(policy).toEqual(clusterKeyPolicy({ accountId: TEST_ACCOUNT, partition: "aws", region: TEST_REGION, dnsSuffix: "amazonaws.com" }));
    const admin = policy.Statement.find((s: { Effect: string }) => s.Effect === "Allow");
    expect(admin.Principal).toEqual({ AWS: `arn:aws:iam::${TEST_ACCOUNT}:root` });
    const deny = policy.Statement.find((s: { Effect: string }) => s.Effect === "Deny");
    expect(deny.Action).toContain("kms:Decrypt");
    expect(deny.Condition.StringNotEquals["kms:ViaService"]).toEqual([
      "secretsmanager.us-east-1.amazonaws.com",
      "s3.us-east-1.amazonaws.com",
    ]);
    expect(mocks.one("aws:kms/alias:Alias").inputs.name).toBe("alias/demo-cluster");
  });

  it("names both secrets after the cluster, encrypts them with the cluster key and writes only the PKI", async () => {
    const { secrets, arns } = await build();
    const [keyArn] = arns;
    const all = mocks.ofType("aws:secretsmanager/secret:Secret");
    expect(all.map((s) => s.inputs.name).sort()).toEqual(["demo/join", "demo/pki"]);
    for (const s of all) {
      expect(s.inputs.kmsKeyId).toBe(keyArn);
      expect(s.inputs.tags["kubernetes.io/cluster/demo"]).toBe("owned");
      expect(s.inputs.tags.team).toBe("platform");
    }
    // The join secret starts empty: the control plane's token timer writes the first version.
    const version = mocks.one("aws:secretsmanager/secretVersion:SecretVersion");
    const pkiSecret = all.find((s) => s.inputs.name === "demo/pki");
    expect(version.inputs.secretId).toBe(pkiSecret?.id);
    expect(plain(version.inputs.secretString)).toBe('{"ca.crt":"x"}');
    expect(secrets.secretNamePrefix).toBe(secretNames("demo").prefix);
    expect(arns[1]).toContain(":secret:demo/pki");
    expect(arns[2]).toContain(":secret:demo/join");
  });
});

describe("EtcdBackupBucket", () => {
  async function build(retentionDays = 7) {
    const bucket = new EtcdBackupBucket("etcd", { clusterName: "demo", kmsKeyArn: "arn:aws:kms:us-east-1:1:key/k", retentionDays });
    await valueOf(bucket.bucketName);
    await mocks.settle();
    return bucket;
  }

  it("is versioned, KMS-encrypted with the cluster key, private and TLS-only", async () => {
    await build();
    expect(mocks.one("aws:s3/bucket:Bucket").inputs.bucketPrefix).toBe("demo-etcd-");
    expect(mocks.one("aws:s3/bucketVersioning:BucketVersioning").inputs.versioningConfiguration.status).toBe("Enabled");
    const sse = mocks.one("aws:s3/bucketServerSideEncryptionConfiguration:BucketServerSideEncryptionConfiguration");
    expect(sse.inputs.rules[0].applyServerSideEncryptionByDefault).toEqual({
      sseAlgorithm: "aws:kms",
      kmsMasterKeyId: "arn:aws:kms:us-east-1:1:key/k",
    });
    expect(mocks.one("aws:s3/bucketPublicAccessBlock:BucketPublicAccessBlock").inputs).toMatchObject({
      blockPublicAcls: true,
      blockPublicPolicy: true,
      ignorePublicAcls: true,
      restrictPublicBuckets: true,
    });
    const policy = JSON.parse(mocks.one("aws:s3/bucketPolicy:BucketPolicy").inputs.policy);
    const tls = policy.Statement.find((s: { Sid: string }) => s.Sid === "DenyRequestsWithoutTls");
    expect(tls).toMatchObject({ Effect: "Deny", Action: "s3:*", Condition: { Bool: { "aws:SecureTransport": "false" } } });
  });

  it("never expires current snapshots by age; retired versions go after the configured retention", async () => {
    await build(14);
    const rules = mocks.one("aws:s3/bucketLifecycleConfiguration:BucketLifecycleConfiguration").inputs.rules;
    const expire = rules.find((r: { id: string }) => r.id === "expire-retired-snapshots");
    // The newest N are kept by the backup job however old they are (backups may have stopped).
    expect(rules.some((r: { expiration?: { days?: number } }) => r.expiration?.days !== undefined)).toBe(false);
    expect(expire.noncurrentVersionExpiration.noncurrentDays).toBe(14);
    expect(expire.filter.prefix).toBe("snapshots/");
  });

  it("keeps one retention period's worth of snapshots current, at least 3", () => {
    expect(snapshotsToKeep(7, 60)).toBe(168);
    expect(snapshotsToKeep(1, 1440)).toBe(3);
    expect(snapshotsToKeep(2, 45)).toBe(64);
    expect(() => snapshotsToKeep(7, 0)).toThrow(/interval/);
  });

  it("rejects a retention that is not a whole number of days", () => {
    expect(() => backupLifecycleRules(0)).toThrow(/retention/);
    expect(() => backupLifecycleRules(1.5)).toThrow(/retention/);
  });

  it("denies plaintext transport on the bucket and its objects", () => {
    const doc = backupBucketPolicy("arn:aws:s3:::b");
    expect(doc.Statement[0].Resource).toEqual(["arn:aws:s3:::b", "arn:aws:s3:::b/*"]);
  });
});
