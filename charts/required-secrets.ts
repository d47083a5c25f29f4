/**
 * Secrets that charts reference but never create: manifests carry no
 * credential. Each chart lists what it expects so the deploying program
 * (Pulumi, which generates the values with @pulumi/random) or an operator
 * creates them before the workloads start.
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
  /**
   * How the deploying program produces the value: `random` for a generated
   * password or cookie of `length` letters and digits, `fixed` for a value
   * given in `value` (a user name, not a secret in itself).
   */
  readonly generate: { readonly kind: "random"; readonly length: number } | { readonly kind: "fixed"; readonly value: string };
}
