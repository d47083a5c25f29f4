/**
 * What the DL Streamer chart tells the deploying program (its registry entry,
 * charts/registry.ts): the MQTT credentials Secret, with the broker's password
 * file derived from the generated password, unless anonymous access is on.
 */
import type { ChartRegistration } from "../chart-entry";
import { mosquittoPasswordEntry } from "./mosquitto-password";
import { DLSTREAMER_NAMESPACE } from "./values";

/** User name of the generated MQTT account (pipeline clients log in with it). */
export const MQTT_USER = "dlstreamer";

/** Mosquitto 2's default salt size. */
const SALT_BYTES = 12;

/**
 * One password file line (`user:$7$101$<salt>$<hash>` and a newline), the format
 * the broker's `password_file` reads. `salt` must be 12 bytes.
 */
export function mosquittoPasswordLine(user: string, password: string, salt: Buffer): string {
  if (salt.length !== SALT_BYTES) throw new Error(`mosquitto password salt must be ${SALT_BYTES} bytes, got ${salt.length}`);
  return `${mosquittoPasswordEntry(user, password, { salt })}\n`;
}

export const DLSTREAMER_REGISTRATION: ChartRegistration = {
  secrets: (values) => {
    const m = values.dlstreamer.mosquitto;
    if (m.allowAnonymous) return [];
    return [
      {
        namespace: DLSTREAMER_NAMESPACE,
        name: m.passwordSecret.name,
        keys: {
          // The clients' credentials sit next to the hashed file the broker reads.
          username: { description: "the MQTT user of the pipeline clients", generate: { kind: "fixed", value: MQTT_USER } },
          password: { description: "its password", generate: { kind: "random", length: 32 } },
          [m.passwordSecret.key]: {
            description: "the broker's password file: the user with its hashed password",
            generate: { kind: "derived", from: "password", saltBytes: SALT_BYTES, derive: (password, salt) => mosquittoPasswordLine(MQTT_USER, password, salt) },
          },
        },
      },
    ];
  },
};
