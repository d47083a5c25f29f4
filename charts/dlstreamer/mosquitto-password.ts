/**
 * One line of a Mosquitto 2 password file, as `mosquitto_passwd` writes it:
 * `user:$7$<iterations>$<base64 salt>$<base64 PBKDF2-HMAC-SHA512 hash>`.
 * Lets a program (Pulumi, with a generated password) build the content of the
 * `mosquitto-passwords` Secret without the mosquitto tools; the clear password
 * never needs to be stored.
 */
import { pbkdf2Sync, randomBytes } from "node:crypto";

/** Hash type 7 of Mosquitto 2.0 (PBKDF2 with SHA-512) and its default parameters. */
const HASH_TYPE = 7;
const DEFAULT_ITERATIONS = 101;
const SALT_BYTES = 12;
const HASH_BYTES = 64;

export interface MosquittoPasswordOptions {
  /**
   * Salt of the hash; fixed only for reproducible tests.
   * @default - 12 random bytes
   */
  readonly salt?: Buffer;
  /**
   * PBKDF2 iterations.
   * @default 101 (what mosquitto_passwd uses)
   */
  readonly iterations?: number;
}

export function mosquittoPasswordEntry(user: string, password: string, options: MosquittoPasswordOptions = {}): string {
  if (user.length === 0 || /[:\s]/.test(user)) {
    throw new Error(`mosquitto password entry: user: got ${JSON.stringify(user)}; allowed: a non-empty name without ':' or whitespace`);
  }
  if (password.length === 0 || /[\r\n]/.test(password)) {
    throw new Error("mosquitto password entry: password: got an empty or multi-line value; allowed: a non-empty single line");
  }
  const iterations = options.iterations ?? DEFAULT_ITERATIONS;
  if (!Number.isInteger(iterations) || iterations < 1) {
    throw new Error(`mosquitto password entry: iterations: got ${JSON.stringify(iterations)}; allowed: a positive integer`);
  }
  const salt = options.salt ?? randomBytes(SALT_BYTES);
  const hash = pbkdf2Sync(password, salt, iterations, HASH_BYTES, "sha512");
  return `${user}:$${HASH_TYPE}$${iterations}$${salt.toString("base64")}$${hash.toString("base64")}`;
}
