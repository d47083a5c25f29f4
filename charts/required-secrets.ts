/**
 * Secrets that charts reference but never create: manifests carry no
 * credential. Each chart lists what it expects (its registry entry's `secrets`)
 * so the deploying program (Pulumi, which generates the values with
 * @pulumi/random) or an operator creates them before the workloads start.
 */

/** A Secret a chart's pods read, with the keys they read from it. */
export interface RequiredSecret {
  readonly namespace: string;
  readonly name: string;
  /** Each key the pods read, with what it must hold. */
  readonly keys: Readonly<Record<string, SecretKeySpec>>;
}

/** What one key of a {@link RequiredSecret} must hold. */
export interface SecretKeySpec {
  /** Human description. */
  readonly description: string;
  /** How the deploying program produces the value. */
  readonly generate: SecretValueSpec;
}

/** How the value of one Secret key is produced. */
export type SecretValueSpec =
  /** A generated password or cookie of `length` letters and digits. */
  | { readonly kind: "random"; readonly length: number }
  /** A value given here (a user name, not a secret in itself). */
  | { readonly kind: "fixed"; readonly value: string }
  /** The stack's secret value `workloads.<key>`, declared in the entry's `stackSecrets`; left out while unset. */
  | { readonly kind: "stackSecret"; readonly key: string }
  /**
   * Computed from the value of key `from` of the same Secret (which must be a
   * `random`, `fixed` or `stackSecret` key) and a salt of `saltBytes` random bytes
   * that stays fixed per stack, so the result is stable across deployments.
   */
  | { readonly kind: "derived"; readonly from: string; readonly saltBytes: number; readonly derive: (value: string, salt: Buffer) => string };
