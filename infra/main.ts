/**
 * Pulumi's entry point (Pulumi.yaml `main`). The configuration is checked first,
 * the region's lookups included (availability zones, instance type offerings,
 * AMIs: invokes, not resources), and only a configuration that passes every check
 * reaches infra/index.ts, which declares the resources. A bad one stops here with
 * every problem in one message and nothing declared, in `pulumi preview` as in
 * `pulumi up --skip-preview`.
 *
 * An exported async function is Pulumi's form for a program that awaits before it
 * declares anything: the language host calls it and takes the resolved object (the
 * exports of infra/index.ts) as the stack outputs.
 */
import { loadCheckedConfig } from "./config";
import { checkKubernetesVersionChange, deployedKubernetesVersion } from "./config/kubernetes-version";

export = async (): Promise<Record<string, unknown>> => {
  const checked = await loadCheckedConfig();
  // A version kubeadm cannot upgrade the running cluster to stops here, before anything changes.
  await checkKubernetesVersionChange(checked.config.cluster.kubernetesVersion, deployedKubernetesVersion());
  // Loaded only now: its top level declares the resources.
  return require("./index") as Record<string, unknown>; // eslint-disable-line @typescript-eslint/no-require-imports
};
