/**
 * Where the real programs the "tools" tests run are. global-setup.ts builds them
 * (test/tools/build-tools.sh) and passes their paths down through the environment;
 * system programs (shellcheck, aws, openssl) come from the Debian packages that
 * test/tools/install-system-packages.sh installs.
 */
import { execFileSync } from "node:child_process";

/**
 * Programs built into the tools cache that these tests require, by name (the binary
 * name upper-cased, '-' as '_'). build-tools.sh may report more (every `tool` of every
 * module under test/tools/go/); all of them are exported.
 */
export const BUILT_TOOLS = [
  "KUBE_APISERVER",
  "KUBE_CONTROLLER_MANAGER",
  "KUBEADM",
  "KUBECTL",
  "ETCD",
  "ACTIONLINT",
  "KUBE_SCORE",
  "MOTO_SERVER",
  "PARLIAMENT",
  "PULUMI",
  "PULUMI_RESOURCE_KUBERNETES",
] as const;
export type BuiltTool = (typeof BUILT_TOOLS)[number] | (string & {});

/** Programs expected on PATH, each with the Debian package that provides it. */
export const SYSTEM_TOOLS: Readonly<Record<string, string>> = {
  shellcheck: "shellcheck",
  aws: "awscli",
  openssl: "openssl",
  curl: "curl",
  jq: "jq",
  haproxy: "haproxy",
  mosquitto: "mosquitto",
  mosquitto_passwd: "mosquitto",
  mosquitto_pub: "mosquitto-clients",
  mosquitto_sub: "mosquitto-clients",
  wget: "wget",
  iptables: "iptables",
  ip6tables: "iptables",
};

const ENV_PREFIX = "PLATFORM_TOOL_";

export function envName(tool: BuiltTool): string {
  return ENV_PREFIX + tool;
}

/**
 * Path of a built tool. Throws (never skips) when the global setup did not provide
 * it, so a test that needs a tool fails loudly instead of passing vacuously.
 */
export function tool(name: BuiltTool): string {
  const path = process.env[envName(name)];
  if (!path) {
    throw new Error(
      `${envName(name)} is not set: run the tools tests through jest (global setup builds the tools) ` +
        `or run test/tools/build-tools.sh and export its output`,
    );
  }
  return path;
}

/**
 * The system's program directories, without user-level ones (pyenv shims, npm bins):
 * what the node scripts see on a node, and what the tests give them.
 */
export const SYSTEM_PATH = "/usr/local/sbin:/usr/local/bin:/usr/sbin:/usr/bin:/sbin:/bin";

/** Absolute path of a program on `searchPath` (default: this process's PATH), or undefined. */
export function which(program: string, searchPath: string = process.env.PATH ?? SYSTEM_PATH): string | undefined {
  try {
    return (
      execFileSync("bash", ["-c", 'command -v "$1"', "which", program], {
        encoding: "utf8",
        env: { ...process.env, PATH: searchPath },
      }).trim() || undefined
    );
  } catch {
    return undefined;
  }
}
