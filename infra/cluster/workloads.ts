/**
 * The applications: every selected cdk8s chart, synthesized in-process by the same
 * chart classes as `npm run synth` (values from the stack, and for a chart that
 * declares AWS messaging, the queue URLs and topic ARNs Pulumi created), deployed
 * as its own `kubernetes:yaml/v2:ConfigGroup`. Everything chart-specific comes from
 * the chart's registry entry (charts/chart-entry.ts); nothing here names a chart.
 *
 * Per chart, in order: its Namespace objects (own ConfigGroup, so the generated
 * Secrets can be created inside it before any pod looks for them), the Secrets it
 * references (values from @pulumi/random, secret outputs), then its other objects,
 * after the add-ons those objects need (derived from the manifests themselves) and
 * after the teardown step, so `pulumi destroy` deletes them first.
 */
import * as k8s from "@pulumi/kubernetes";
import * as pulumi from "@pulumi/pulumi";
import * as random from "@pulumi/random";
import type { PlatformCapability } from "../../charts/chart-entry";
import { CHARTS, ChartEntry, DeployContext } from "../../charts/registry";
import { synthCharts } from "../../charts/synth";
import type { PlatformValues } from "../../charts/values";
import { requiredDependencies, WorkloadDependency } from "./workload-dependencies";
import { workloadSecretSpecs, WorkloadSecretSpec } from "./workload-secrets";

export { requiredDependencies, type WorkloadDependency } from "./workload-dependencies";

type Manifest = Record<string, unknown> & { kind?: string };

/** The platform resources (add-ons, StorageClass) a chart's objects may wait for. */
export type PlatformResources = Readonly<Record<Exclude<WorkloadDependency, PlatformCapability>, pulumi.Resource>>;

export interface WorkloadsArgs {
  readonly provider: k8s.Provider;
  /** Chart ids to deploy (the registry's); deployed in registry order. */
  readonly charts: readonly string[];
  readonly values: PlatformValues;
  /** What only the deployment knows, by chart id; required for each deployed chart that declares `aws`. */
  readonly deployContexts?: Readonly<Record<string, pulumi.Input<DeployContext>>>;
  /** The stack's secret values (`workloads.<key>`) by key; without one a chart declares, it waits for it (README "Deploying for real"). */
  readonly stackSecrets?: Readonly<Record<string, pulumi.Input<string>>>;
  /** The platform resources a chart may need, by {@link WorkloadDependency}. */
  readonly platform: PlatformResources;
  /** The teardown step: every workload is deleted before it runs. */
  readonly teardown: pulumi.Resource;
  /**
   * The chart registry.
   * @default CHARTS
   */
  readonly registry?: readonly ChartEntry[];
}

export class Workloads extends pulumi.ComponentResource {
  /** ConfigGroup of each deployed chart's objects (without its Namespace objects). */
  readonly configGroups: Readonly<Record<string, k8s.yaml.v2.ConfigGroup>>;
  /** What each chart's ConfigGroup waits for. */
  readonly dependencies: Readonly<Record<string, WorkloadDependency[]>>;
  readonly secrets: k8s.core.v1.Secret[] = [];
  /** The deployed charts' URLs by stack output name (their entries' `urls`). */
  readonly urls: Readonly<Record<string, string>>;

  constructor(name: string, args: WorkloadsArgs, opts?: pulumi.ComponentResourceOptions) {
    super("platform:infra:Workloads", name, {}, opts);
    const registry = args.registry ?? CHARTS;
    const unknown = args.charts.filter((id) => !registry.some((c) => c.id === id));
    if (unknown.length > 0) throw new Error(`Workloads: unknown chart ids ${unknown.join(", ")}`);
    const selected = registry.filter((c) => args.charts.includes(c.id));
    for (const c of selected) {
      if (c.aws && args.deployContexts?.[c.id] === undefined) {
        throw new Error(`Workloads: ${c.id} is deployed but its AWS resources are not (set ${c.aws.configKey}.enabled to true)`);
      }
    }

    const groups: Record<string, k8s.yaml.v2.ConfigGroup> = {};
    const dependencies: Record<string, WorkloadDependency[]> = {};
    const urls: Record<string, string> = {};
    for (const entry of selected) {
      // Synthesized once with plain placeholders to read what the chart needs (kinds do
      // not depend on the deploy context), and again with the real context for the objects.
      const planned = synthCharts(args.values, [entry])[0].manifests as Manifest[];
      const deps = requiredDependencies(planned);
      dependencies[entry.id] = deps;
      // What other charts provide (the ClusterIssuers) comes from the ones deployed before.
      const providers = (d: WorkloadDependency) => registry.filter((c) => c.provides?.some((p) => p === d) && groups[c.id]).map((c) => groups[c.id]);
      const platform = args.platform as Readonly<Record<string, pulumi.Resource>>;
      const needs = deps.flatMap((d) => (d in platform ? [platform[d]] : providers(d)));
      groups[entry.id] = this.deployChart(name, entry, args, planned, needs);
      Object.assign(urls, entry.urls?.(args.values));
    }
    this.configGroups = groups;
    this.dependencies = dependencies;
    this.urls = urls;
    this.registerOutputs({ urls });
  }

  private deployChart(name: string, entry: ChartEntry, args: WorkloadsArgs, planned: Manifest[], needs: pulumi.Resource[]): k8s.yaml.v2.ConfigGroup {
    const { id } = entry;
    const provider = args.provider;
    const context = args.deployContexts?.[id];
    const manifests: pulumi.Output<unknown[]> =
      context === undefined
        ? pulumi.output(planned as unknown[])
        : pulumi.output(context).apply((ctx) => synthCharts(args.values, [entry], ctx as DeployContext)[0].manifests as Manifest[]);

    const namespaces = planned.filter((m) => m.kind === "Namespace");
    const nsGroup =
      namespaces.length > 0
        ? new k8s.yaml.v2.ConfigGroup(`${name}-${id}-namespace`, { objs: namespaces }, { parent: this, provider, dependsOn: [args.teardown] })
        : undefined;

    const secrets = workloadSecretSpecs(entry, args.values).map((spec) => this.declareSecret(`${name}-${id}-${spec.name}`, spec, args, nsGroup));
    this.secrets.push(...secrets);
    const after: pulumi.Resource[] = [args.teardown, ...secrets];
    if (nsGroup) after.push(nsGroup);
    after.push(...needs);

    const unset = (entry.stackSecrets ?? []).filter((s) => args.stackSecrets?.[s.key] === undefined);
    for (const s of unset) pulumi.log.warn(s.unsetWarning, this);
    return new k8s.yaml.v2.ConfigGroup(
      `${name}-${id}`,
      {
        objs: manifests.apply((ms) => (ms as Manifest[]).filter((m) => m.kind !== "Namespace")),
        // Pods that miss a stack secret cannot become ready; do not hold `pulumi up` for them.
        ...(unset.length > 0 ? { skipAwait: true } : {}),
      },
      { parent: this, provider, dependsOn: after },
    );
  }

  private declareSecret(base: string, spec: WorkloadSecretSpec, args: WorkloadsArgs, nsGroup: pulumi.Resource | undefined): k8s.core.v1.Secret {
    const plain: Record<string, pulumi.Output<string>> = {};
    for (const [key, v] of Object.entries(spec.keys)) {
      if (v.kind === "random") {
        plain[key] = new random.RandomPassword(`${base}-${key}`, { length: v.length, special: false }, { parent: this }).result;
      } else if (v.kind === "fixed") {
        plain[key] = pulumi.output(v.value);
      } else if (v.kind === "stackSecret" && args.stackSecrets?.[v.key] !== undefined) {
        plain[key] = pulumi.secret(args.stackSecrets[v.key]);
      }
    }
    for (const [key, v] of Object.entries(spec.keys)) {
      // A key derived from an unset stack secret stays unset with it.
      if (v.kind !== "derived" || plain[v.from] === undefined) continue;
      // A fixed salt per stack keeps the value stable across `pulumi up` runs.
      const salt = new random.RandomBytes(`${base}-${key}-salt`, { length: v.saltBytes }, { parent: this });
      plain[key] = pulumi.all([plain[v.from], salt.base64]).apply(([value, s]) => v.derive(value, Buffer.from(s, "base64")));
    }
    return new k8s.core.v1.Secret(
      base,
      {
        metadata: { name: spec.name, namespace: spec.namespace, labels: { "app.kubernetes.io/managed-by": "pulumi" } },
        type: "Opaque",
        stringData: pulumi.secret(pulumi.all(plain)),
      },
      { parent: this, provider: args.provider, dependsOn: nsGroup ? [args.teardown, nsGroup] : [args.teardown] },
    );
  }
}
