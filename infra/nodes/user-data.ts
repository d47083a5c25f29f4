/**
 * Renders EC2 user-data from the shell files under bootstrap/ beside this module. Pure apart from
 * reading those files.
 *
 * The user-data is a cloud-config that writes three kinds of files and starts one
 * unit: the env file of NON-secret values (versions, names, region, addresses, secret
 * ARNs), the scripts (without their comment lines, see {@link nodeScript}), and
 * `platform-bootstrap.service`, which runs the steps
 * named in the env file at every boot. All logic stays in the shell files, where
 * shellcheck and the test harness can reach it; this module only fills values in.
 * Secrets never pass through here: nodes fetch them from Secrets Manager with their
 * instance role, because user-data is readable with `ec2:DescribeInstanceAttribute`.
 */
import * as fs from "fs";
import * as path from "path";
import * as zlib from "zlib";
import { stringify } from "yaml";
import { CONTAINERD_PACKAGE_VERSION } from "../versions";

/** Where the scripts and units live in this repository. */
export const BOOTSTRAP_SOURCE_DIR = path.join(__dirname, "bootstrap");
/** Where the user-data puts the scripts on the node. */
export const NODE_BIN_DIR = "/opt/platform/bin";
/** Where the user-data puts systemd units that scripts install later (e.g. after `kubeadm init`). */
export const NODE_UNITS_DIR = "/opt/platform/units";
/** The env file every script reads. */
export const NODE_BOOTSTRAP_ENV = "/etc/platform/bootstrap.env";
/** EC2 rejects user-data above 16 KiB (after base64 decoding). */
export const USER_DATA_LIMIT_BYTES = 16 * 1024;

export type EnvValue = string | number;

const ENV_NAME = /^[A-Z][A-Z0-9_]*$/;

/** Single-quotes a value for a POSIX shell (the env file is `source`d). */
export function shellQuote(value: string): string {
  return `'${value.replace(/'/g, `'\\''`)}'`;
}

/** `KEY='value'` lines in the given order, with a header comment. Rejects bad names and multi-line values. */
export function renderEnvFile(values: Readonly<Record<string, EnvValue>>, header: string): string {
  const lines = header.split("\n").map((l) => `# ${l}`.trimEnd());
  for (const [key, raw] of Object.entries(values)) {
    if (!ENV_NAME.test(key)) throw new Error(`bootstrap env: '${key}' is not an upper-case shell variable name`);
    const value = String(raw);
    if (/[\n\r\0]/.test(value)) throw new Error(`bootstrap env: the value of ${key} spans several lines`);
    lines.push(`${key}=${shellQuote(value)}`);
  }
  return `${lines.join("\n")}\n`;
}

/** The text of a file under infra/nodes/bootstrap/. */
export function readBootstrapFile(name: string): string {
  return fs.readFileSync(path.join(BOOTSTRAP_SOURCE_DIR, name), "utf8");
}

export interface NodeUserDataProps {
  /** Non-secret values for the env file; `BOOTSTRAP_STEPS` is added from `steps`. */
  readonly env: Readonly<Record<string, EnvValue>>;
  /** Scripts (without `.sh`) that `bootstrap.sh` runs in this order, e.g. `["node-prepare", "worker-join"]`. */
  readonly steps: readonly string[];
  /**
   * Further scripts to install without running them as steps (timers call them).
   * @default []
   */
  readonly extraScripts?: readonly string[];
  /**
   * systemd units (file names under infra/nodes/bootstrap/) to place in {@link NODE_UNITS_DIR},
   * for a script to install once their prerequisites exist.
   * @default []
   */
  readonly units?: readonly string[];
  /**
   * What the env file's header says about where it came from.
   * @default "Rendered by infra/nodes/user-data.ts. Non-secret values only."
   */
  readonly header?: string;
}

const HEREDOC = /(?<!<)<<-?(?!<)\s*(['"]?)([A-Za-z_][A-Za-z0-9_]*)\1/;

/**
 * A script as the node gets it: the file under infra/nodes/bootstrap/ without its
 * whole-line comments (the shebang and every line of a here-document stay). The comments
 * are the review copy's; EC2 caps user-data at 16 KiB even gzipped, and the control
 * plane's scripts with their comments do not fit. Nothing else changes: code lines are
 * byte for byte the same, and the tests run this form of every script. Pure.
 */
export function nodeScript(text: string): string {
  const out: string[] = [];
  let terminator: { word: string; tabs: boolean } | undefined;
  text.split("\n").forEach((line, i) => {
    if (terminator) {
      out.push(line);
      if ((terminator.tabs ? line.replace(/^\t+/, "") : line) === terminator.word) terminator = undefined;
      return;
    }
    if (i > 0 && /^\s*#/.test(line)) return;
    out.push(line);
    const heredoc = HEREDOC.exec(line);
    if (heredoc) terminator = { word: heredoc[2], tabs: line.includes("<<-") };
  });
  return out.join("\n");
}

/** The cloud-config document (plain text, for golden files and secret scans). */
export function renderNodeUserData(props: NodeUserDataProps): string {
  if (props.steps.length === 0) throw new Error("user-data: at least one bootstrap step is required");
  const prepares = [...props.steps, ...(props.extraScripts ?? [])].includes("node-prepare");
  // Every node that prepares itself closes IMDS to non-root host processes (node-prepare.sh
  // installs the unit), so no node type can leave it out.
  const scripts = ["bootstrap", ...props.steps, ...(props.extraScripts ?? []), ...(prepares ? ["imds-firewall"] : [])];
  const unique = [...new Set(scripts)];
  const units = [...new Set([...(props.units ?? []), ...(prepares ? ["imds-firewall.service"] : [])])];
  const env = renderEnvFile(
    {
      ...props.env,
      // Every node that prepares itself installs the one pinned runtime (infra/versions.ts says why).
      ...(prepares ? { CONTAINERD_PACKAGE_VERSION } : {}),
      BOOTSTRAP_STEPS: props.steps.join(" "),
    },
    props.header ?? "Rendered by infra/nodes/user-data.ts. Non-secret values only.",
  );
  const doc = {
    // node-prepare.sh sets the EC2 private DNS name as hostname; keep cloud-init from shortening it.
    preserve_hostname: true,
    write_files: [
      { path: NODE_BOOTSTRAP_ENV, owner: "root:root", permissions: "0644", content: env },
      ...unique.map((name) => ({
        path: `${NODE_BIN_DIR}/${name}.sh`,
        owner: "root:root",
        permissions: "0755",
        content: nodeScript(readBootstrapFile(`${name}.sh`)),
      })),
      ...units.map((name) => ({
        path: `${NODE_UNITS_DIR}/${name}`,
        owner: "root:root",
        permissions: "0644",
        content: readBootstrapFile(name),
      })),
      {
        path: "/etc/systemd/system/platform-bootstrap.service",
        owner: "root:root",
        permissions: "0644",
        content: readBootstrapFile("platform-bootstrap.service"),
      },
    ],
    // --no-block: the unit must not hold up cloud-init, and it outlives it (reboots re-run it).
    runcmd: [
      ["systemctl", "daemon-reload"],
      ["systemctl", "enable", "--now", "--no-block", "platform-bootstrap.service"],
    ],
  };
  return `#cloud-config\n${stringify(doc, { lineWidth: 0, blockQuote: "literal" })}`;
}

/**
 * Gzip + base64 for `userDataBase64`: the scripts exceed EC2's 16 KiB limit as text;
 * cloud-init recognises gzip and unpacks it. Deterministic (no timestamp in the header).
 */
export function encodeUserData(text: string): string {
  const gz = zlib.gzipSync(Buffer.from(text, "utf8"), { level: 9 });
  if (gz.length > USER_DATA_LIMIT_BYTES) {
    throw new Error(`user-data is ${gz.length} bytes after gzip, above EC2's limit of ${USER_DATA_LIMIT_BYTES}`);
  }
  return gz.toString("base64");
}

/** The inverse of {@link encodeUserData}, for tests and reviews. */
export function decodeUserData(base64: string): string {
  return zlib.gunzipSync(Buffer.from(base64, "base64")).toString("utf8");
}
