/**
 * The Secrets the charts reference but never contain (their manifests carry no
 * credential): which Secret each deployed chart needs, and what each key holds.
 * Pure; infra/cluster/workloads.ts turns the specs into `kubernetes.core.v1.Secret`s whose
 * values come from `@pulumi/random` (or the stack's secret config) as secret outputs.
 */
import { pbkdf2Sync } from "node:crypto";
import type { PlatformValues } from "../../charts/values";
import { daskRequiredSecrets } from "../../charts/dask/values";
import { DLSTREAMER_NAMESPACE } from "../../charts/dlstreamer/values";
import { gostyRequiredSecrets } from "../../charts/gosty/values";
import type { RequiredSecret } from "../../charts/required-secrets";
import { GRAFANA_NAMESPACE } from "../../charts/grafana/values";
import { OBJECT_DETECTION_NAMESPACE } from "../../charts/object-detection/values";

/** How the value of one key is produced. */
export type SecretValueSpec =
  /** Letters and digits from @pulumi/random. */
  | { readonly kind: "random"; readonly length: number }
  /** A non-secret constant (a user name). */
  | { readonly kind: "fixed"; readonly value: string }
  /** The stack's secret config `workloads.telegramBotToken`. */
  | { readonly kind: "telegramBotToken" }
  /** A mosquitto password file line for `user`, hashing the random value of key `passwordKey`. */
  | { readonly kind: "mosquittoPasswordFile"; readonly user: string; readonly passwordKey: string };

export interface WorkloadSecretSpec {
  readonly chart: string;
  readonly namespace: string;
  readonly name: string;
  readonly keys: Readonly<Record<string, SecretValueSpec>>;
}

/** User name of the generated MQTT account (pipeline clients log in with it). */
export const MQTT_USER = "dlstreamer";

/** Secrets chart `chartId` references with `values`, empty when it references none. */
export function workloadSecretSpecs(chartId: string, values: PlatformValues): WorkloadSecretSpec[] {
  switch (chartId) {
    case "object-detection": {
      const t = values.objectDetection.polybot.telegramSecret;
      return [
        {
          chart: chartId,
          namespace: OBJECT_DETECTION_NAMESPACE,
          name: t.name,
          keys: {
            [t.tokenKey]: { kind: "telegramBotToken" },
            // Telegram accepts 1-256 of A-Z a-z 0-9 _ - as the webhook secret token.
            [t.webhookSecretKey]: { kind: "random", length: 48 },
          },
        },
      ];
    }
    case "grafana": {
      const a = values.grafana.adminSecret;
      return [
        {
          chart: chartId,
          namespace: GRAFANA_NAMESPACE,
          name: a.name,
          keys: { [a.userKey]: { kind: "fixed", value: "admin" }, [a.passwordKey]: { kind: "random", length: 32 } },
        },
      ];
    }
    case "dlstreamer": {
      const m = values.dlstreamer.mosquitto;
      if (m.allowAnonymous) return [];
      return [
        {
          chart: chartId,
          namespace: DLSTREAMER_NAMESPACE,
          name: m.passwordSecret.name,
          keys: {
            // The clients' credentials sit next to the hashed file the broker reads.
            username: { kind: "fixed", value: MQTT_USER },
            password: { kind: "random", length: 32 },
            [m.passwordSecret.key]: { kind: "mosquittoPasswordFile", user: MQTT_USER, passwordKey: "password" },
          },
        },
      ];
    }
    case "dask":
      return daskRequiredSecrets(values.dask).map((r) => fromRequiredSecret(chartId, r));
    case "gosty":
      return gostyRequiredSecrets(values.gosty).map((r) => fromRequiredSecret(chartId, r));
    default:
      return [];
  }
}

/** A chart's own declaration (charts/required-secrets.ts) as a spec. */
function fromRequiredSecret(chart: string, r: RequiredSecret): WorkloadSecretSpec {
  const keys: Record<string, SecretValueSpec> = {};
  for (const [key, spec] of Object.entries(r.keys)) {
    keys[key] = spec.generate.kind === "random" ? { kind: "random", length: spec.generate.length } : { kind: "fixed", value: spec.generate.value };
  }
  return { chart, namespace: r.namespace, name: r.name, keys };
}

/** Mosquitto 2's default hashing: PBKDF2-SHA512, 101 iterations, 12-byte salt, 64-byte hash. */
export const MOSQUITTO_ITERATIONS = 101;

/**
 * One `mosquitto_passwd` line (`user:$7$101$<salt>$<hash>`, base64), the format the
 * broker's `password_file` reads. `salt` must be 12 bytes.
 */
export function mosquittoPasswordLine(user: string, password: string, salt: Buffer): string {
  if (user.includes(":") || user.length === 0) throw new Error(`mosquitto user name must be non-empty without ':', got '${user}'`);
  if (salt.length !== 12) throw new Error(`mosquitto password salt must be 12 bytes, got ${salt.length}`);
  const hash = pbkdf2Sync(password, salt, MOSQUITTO_ITERATIONS, 64, "sha512");
  return `${user}:$7$${MOSQUITTO_ITERATIONS}$${salt.toString("base64")}$${hash.toString("base64")}\n`;
}
