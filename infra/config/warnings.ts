/**
 * Values the configuration accepts but that are risky: the program prints a
 * Pulumi warning for each (README "Common mistakes"), naming the key, what it
 * does and the safer alternative, and goes on. Pure.
 */
import type { PlatformConfig } from "./index";

export interface Warning {
  /** The key as the user types it in `pulumi config set --path`. */
  readonly key: string;
  readonly value: unknown;
  /** What the value does and what to do instead. */
  readonly message: string;
}

export function formatWarning(w: Warning): string {
  return `${w.key}: ${JSON.stringify(w.value)} ${w.message}`;
}

const WORLD = "0.0.0.0/0";

/** Every warning the configuration deserves, in key order. */
export function configWarnings(config: PlatformConfig): Warning[] {
  const c = config.cluster;
  const out: Warning[] = [];
  const open = (key: string, list: readonly string[], message: string) => {
    const i = list.indexOf(WORLD);
    if (i >= 0) out.push({ key: `${key}[${i}]`, value: WORLD, message });
  };
  open(
    "apiAllowedCidrs",
    c.apiAllowedCidrs,
    "opens the Kubernetes API server (6443) to the whole internet; list the addresses you work from instead (e.g. your own IP with /32)",
  );
  open(
    "sshAllowedCidrs",
    c.sshAllowedCidrs,
    "opens SSH (22) on every node to the whole internet; use Session Manager instead (`pulumi stack output controlPlaneSessionCommand`, no open port) and leave sshAllowedCidrs empty",
  );
  open(
    "nodePortAllowedCidrs",
    c.nodePortAllowedCidrs,
    "opens every NodePort service (30000-32767) on the workers to the whole internet; publish applications through the ingress load balancer instead",
  );
  if (c.sshAllowedCidrs.length > 0 && c.sshKeyName === undefined) {
    out.push({
      key: "sshAllowedCidrs",
      value: c.sshAllowedCidrs,
      message: "opens port 22 but sshKeyName is unset, so no key is installed to log in with; set sshKeyName, or leave the port closed and use Session Manager",
    });
  }
  const pools = config.nodePools.nodePools;
  if (pools.length > 0 && pools.every((p) => p.spot && p.onDemandBaseCapacity === 0)) {
    out.push({
      key: "nodePools",
      value: pools.map((p) => p.name),
      message:
        "are all spot pools without on-demand base capacity: AWS may reclaim every worker at once; keep an on-demand pool or set onDemandBaseCapacity",
    });
  }
  return out;
}
