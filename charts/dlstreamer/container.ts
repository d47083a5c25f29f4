/** Pieces the DL Streamer components share: their shell scripts and the restricted container security context. */
import * as fs from "node:fs";
import * as path from "node:path";
import * as kplus from "cdk8s-plus-28";

/** A shell script of this folder, read at synth time and shipped in a ConfigMap. */
export function readScript(name: string): string {
  return fs.readFileSync(path.join(__dirname, name), "utf8");
}

/** The restricted Pod Security Standard for a container running as `uid`. */
export function restrictedContainer(uid: number): kplus.ContainerSecurityContextProps {
  return {
    ensureNonRoot: true,
    user: uid,
    group: uid,
    readOnlyRootFilesystem: true,
    allowPrivilegeEscalation: false,
    privileged: false,
    capabilities: { drop: [kplus.Capability.ALL] },
    seccompProfile: { type: kplus.SeccompProfileType.RUNTIME_DEFAULT },
  };
}
