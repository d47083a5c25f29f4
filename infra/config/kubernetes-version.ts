/**
 * Whether `kubernetesVersion` may move from the version the cluster runs to the one the
 * configuration asks for, checked before any resource is declared (infra/main.ts), as
 * kubeadm's version-skew policy allows it: a patch of the same minor, or the next minor;
 * never down, never a skipped minor, only minors this platform supports. Self-contained
 * (issue 13); the running version is the stack output `kubernetesVersion` of the last
 * deployment, which the control plane's upgrade association only reports once the node
 * runs it (infra/nodes/upgrade.ts).
 */
import * as pulumi from "@pulumi/pulumi";
import type { Problem } from "../../lib/validate";
import { SUPPORTED_KUBERNETES_MINORS } from "../versions";
import { StackConfigError } from "./errors";

/** The stack output that records the version the control plane runs. */
export const RUNNING_VERSION_OUTPUT = "kubernetesVersion";

function parse(version: string): [number, number, number] | undefined {
  const m = /^(\d+)\.(\d+)\.(\d+)$/.exec(version);
  return m ? [Number(m[1]), Number(m[2]), Number(m[3])] : undefined;
}

/** The problems of a change from `running` to `requested` (none when nothing runs yet). Pure. */
export function versionChangeProblems(
  running: string | undefined,
  requested: string,
  supportedMinors: readonly string[] = SUPPORTED_KUBERNETES_MINORS,
): Problem[] {
  const from = running === undefined ? undefined : parse(running);
  const to = parse(requested);
  if (from === undefined || to === undefined || running === requested) return [];
  const [fMaj, fMin] = from;
  const [tMaj, tMin] = to;
  const next = `${fMaj}.${fMin + 1}`;
  const allowedNext = supportedMinors.includes(next) ? ` or a ${next}.x release` : "";
  const allowed = `a later ${fMaj}.${fMin}.x patch${allowedNext} (the cluster runs ${running}; kubeadm upgrades one minor at a time and never down)`;
  const newer = tMaj > fMaj || (tMaj === fMaj && (tMin > fMin || (tMin === fMin && to[2] > from[2])));
  const oneStep = tMaj === fMaj && (tMin === fMin || tMin === fMin + 1);
  if (!newer || !oneStep || !supportedMinors.includes(`${tMaj}.${tMin}`)) {
    return [{ key: "kubernetesVersion", value: requested, allowed }];
  }
  return [];
}

/** The version of the last deployment, read from this stack's own outputs (undefined on the first one). */
export async function deployedKubernetesVersion(): Promise<string | undefined> {
  let org = "organization"; // what self-managed backends (file, S3) call every stack's organization
  try {
    org = pulumi.getOrganization();
  } catch {
    // An engine that does not report one (older CLIs, DIY backends): the name above applies.
  }
  const self = new pulumi.StackReference(`${org}/${pulumi.getProject()}/${pulumi.getStack()}`);
  const value = await self.getOutputValue(RUNNING_VERSION_OUTPUT);
  return typeof value === "string" ? value : undefined;
}

/** Stops the program (StackConfigError, nothing declared) on a change kubeadm cannot make. */
export async function checkKubernetesVersionChange(requested: string, running: Promise<string | undefined>): Promise<void> {
  const problems = versionChangeProblems(await running, requested);
  if (problems.length > 0) throw new StackConfigError(problems);
}
