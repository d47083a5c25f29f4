/**
 * The key kube-apiserver encrypts Secrets with in etcd (encryption at rest), so that
 * neither etcd's files nor a snapshot in the backup bucket reveal a Secret.
 *
 * Pulumi generates 32 random bytes (kept, like the PKI, in the stack's encrypted state)
 * and delivers them in the PKI secret as the entry {@link ENCRYPTION_KEY_ENTRY}; the
 * control plane reads that secret at boot anyway (control-plane-init.sh), and
 * encryption-config.sh turns the key into the EncryptionConfiguration the API server
 * loads (secretbox provider). A replacement control plane gets the same key, so a
 * restored snapshot stays readable.
 */
import * as pulumi from "@pulumi/pulumi";
import * as random from "@pulumi/random";

/** The PKI secret's entry holding the key (base64 of 32 bytes). */
export const ENCRYPTION_KEY_ENTRY = "encryption-key";

/** Base64 of exactly 32 bytes: what the secretbox provider requires. */
const KEY_BASE64 = /^[A-Za-z0-9+/]{43}=$/;

/** The PKI secret's JSON with the encryption key added. Pure; throws on a malformed key. */
export function withEncryptionKey(pkiSecretJson: string, keyBase64: string): string {
  if (!KEY_BASE64.test(keyBase64)) throw new Error("Secrets encryption key: not the base64 of 32 bytes");
  const doc = JSON.parse(pkiSecretJson) as Record<string, string>;
  if (ENCRYPTION_KEY_ENTRY in doc) throw new Error(`PKI secret: '${ENCRYPTION_KEY_ENTRY}' is already set`);
  return JSON.stringify({ ...doc, [ENCRYPTION_KEY_ENTRY]: keyBase64 });
}

export class SecretsEncryptionKey extends pulumi.ComponentResource {
  /** Base64 of the 32-byte key. Secret. */
  readonly keyBase64: pulumi.Output<string>;

  constructor(name: string, opts?: pulumi.ComponentResourceOptions) {
    super("platform:infra:SecretsEncryptionKey", name, {}, opts);
    const bytes = new random.RandomBytes(`${name}-secrets-encryption`, { length: 32 }, { parent: this });
    this.keyBase64 = pulumi.secret(bytes.base64);
    this.registerOutputs({});
  }

  /** The PKI secret's JSON with this key added, as a secret output. */
  addTo(pkiSecretString: pulumi.Input<string>): pulumi.Output<string> {
    return pulumi.secret(pulumi.all([pkiSecretString, this.keyBase64]).apply(([doc, key]) => withEncryptionKey(doc, key)));
  }
}
