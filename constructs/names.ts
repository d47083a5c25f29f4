/**
 * Name and quantity rules shared by the constructs. Constructs reject bad props
 * at construction, so a chart fails at `npm run synth` instead of at apply time.
 */

/** RFC 1035 label: what Kubernetes requires for Service and Namespace names. */
const DNS_LABEL = /^[a-z]([-a-z0-9]{0,61}[a-z0-9])?$/;

/** RFC 1123 subdomain: names of most other objects (ConfigMap, Secret, ServiceAccount, ...). */
const DNS_SUBDOMAIN = /^[a-z0-9]([-a-z0-9]*[a-z0-9])?(\.[a-z0-9]([-a-z0-9]*[a-z0-9])?)*$/;

/** A fully qualified host name with at least one dot, as used in Ingress rules and certificates. */
const HOST_NAME = /^(?=.{1,253}$)([a-z0-9]([-a-z0-9]{0,61}[a-z0-9])?\.)+[a-z]([-a-z0-9]{0,61}[a-z0-9])?$/;

export function isDnsLabel(value: string): boolean {
  return DNS_LABEL.test(value);
}

export function isDnsSubdomain(value: string): boolean {
  return value.length <= 253 && DNS_SUBDOMAIN.test(value);
}

export function isHostName(value: string): boolean {
  return HOST_NAME.test(value);
}

export function assertDnsLabel(what: string, value: string): void {
  if (!isDnsLabel(value)) {
    throw new Error(
      `${what}: got ${JSON.stringify(value)}; allowed: a DNS label (lower-case letters, digits and '-', ` +
        `starting with a letter, at most 63 characters)`,
    );
  }
}

export function assertDnsSubdomain(what: string, value: string): void {
  if (!isDnsSubdomain(value)) {
    throw new Error(
      `${what}: got ${JSON.stringify(value)}; allowed: a DNS subdomain (lower-case letters, digits, '-' and '.')`,
    );
  }
}

export function assertHostName(what: string, value: string): void {
  if (!isHostName(value)) {
    throw new Error(`${what}: got ${JSON.stringify(value)}; allowed: a fully qualified lower-case host name such as bot.example.com`);
  }
}

export function assertIntegerInRange(what: string, value: number, min: number, max: number): void {
  if (!Number.isInteger(value) || value < min || value > max) {
    throw new Error(`${what}: got ${JSON.stringify(value)}; allowed: an integer from ${min} to ${max}`);
  }
}
