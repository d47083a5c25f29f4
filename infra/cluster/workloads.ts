/**
 * The applications: every selected cdk8s chart, synthesized in-process by the same
 * chart classes as `npm run synth` (values from the stack, queue URLs from the
 * object-detection component), deployed as its own `kubernetes:yaml/v2:ConfigGroup`.
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
import type { ObjectDetectionAwsConfig } from "../../charts/object-detection/aws-config";
import { TELEGRAM_WEBHOOK_PATH } from "../../charts/object-detection/chart";
import { CHARTS } from "../../charts/registry";
import { synthCharts } from "../../charts/synth";
import type { PlatformValues } from "../../charts/values";
import { requiredDependencies, WorkloadDependency } from "./workload-dependencies";
import { mosquittoPasswordLine, workloadSecretSpecs } from "./workload-secrets";

export { requiredDependencies, type WorkloadDependency } from "./workload-dependencies";

type Manifest = Record<string, unknown> & { kind?: string };

export interface WorkloadsArgs {
  readonly provider: k8s.Provider;
  /** Chart ids to deploy (charts/registry.ts); deployed in registry order. */
  readonly charts: readonly string[];
  readonly values: PlatformValues;
  /** The object-detection queues; required when `object-detection` is deployed. */
  readonly objectDetectionAws?: pulumi.Input<ObjectDetectionAwsConfig>;
  /** Secret stack config; without it polybot waits for its token (README "Deploying for real"). */
  readonly telegramBotToken?: pulumi.Input<string>;
  /** The platform resources a chart may need, by {@link WorkloadDependency}. */
  readonly platform: Readonly<Record<Exclude<WorkloadDependency, "clusterIssuers">, pulumi.Resource>>;
  /** The teardown step: every workload is deleted before it runs. */
  readonly teardown: pulumi.Resource;
}

export class Workloads extends pulumi.ComponentResource {
  /** ConfigGroup of each deployed chart's objects (without its Namespace objects). */
  readonly configGroups: Readonly<Record<string, k8s.yaml.v2.ConfigGroup>>;
  /** What each chart's ConfigGroup waits for. */
  readonly dependencies: Readonly<Record<string, WorkloadDependency[]>>;
  readonly secrets: k8s.core.v1.Secret[] = [];
  readonly grafanaUrl: string | undefined;
  readonly botWebhookUrl: string | undefined;

  constructor(name: string, args: WorkloadsArgs, opts?: pulumi.ComponentResourceOptions) {
    super("platform:infra:Workloads", name, {}, opts);
    const provider = args.provider;
    const selected = CHARTS.filter((c) => args.charts.includes(c.id));
    const unknown = args.charts.filter((id) => !CHARTS.some((c) => c.id === id));
    if (unknown.length > 0) throw new Error(`Workloads: unknown chart ids ${unknown.join(", ")}`);
    if (args.charts.includes("object-detection") && args.objectDetectionAws === undefined) {
      throw new Error("Workloads: object-detection is deployed but its queues are not (set objectDetection.enabled to true)");
    }

    const groups: Record<string, k8s.yaml.v2.ConfigGroup> = {};
    const dependencies: Record<string, WorkloadDependency[]> = {};
    for (const entry of selected) {
      const id = entry.id;
      // Synthesized once with plain placeholders to read what the chart needs (kinds do
      // not depend on the queue URLs), and again with the real context for the objects.
      const planned = synthCharts(args.values, [entry])[0].manifests as Manifest[];
      const manifests: pulumi.Output<unknown[]> =
        id === "object-detection"
          ? pulumi
              .output(args.objectDetectionAws as pulumi.Input<ObjectDetectionAwsConfig>)
              .apply((aws) => synthCharts(args.values, [entry], { objectDetectionAws: aws as ObjectDetectionAwsConfig })[0].manifests as Manifest[])
          : pulumi.output(planned as unknown[]);
      const deps = requiredDependencies(planned);
      dependencies[id] = deps;

      const namespaces = planned.filter((m) => m.kind === "Namespace");
      const nsGroup =
        namespaces.length > 0
          ? new k8s.yaml.v2.ConfigGroup(`${name}-${id}-namespace`, { objs: namespaces }, { parent: this, provider, dependsOn: [args.teardown] })
          : undefined;

      const secrets = this.declareSecrets(name, id, args, nsGroup);
      const after: pulumi.Resource[] = [args.teardown, ...secrets];
      if (nsGroup) after.push(nsGroup);
      for (const d of deps) {
        if (d === "clusterIssuers") {
          if (groups["cluster-issuers"]) after.push(groups["cluster-issuers"]);
        } else {
          after.push(args.platform[d]);
        }
      }
      const waitsForToken = id === "object-detection" && args.telegramBotToken === undefined;
      if (waitsForToken) {
        pulumi.log.warn(
          "workloads.telegramBotToken is not set: polybot stays in CreateContainerConfigError until it is " +
            "(`pulumi config set --secret --path workloads.telegramBotToken <token>` then `pulumi up`).",
          this,
        );
      }
      groups[id] = new k8s.yaml.v2.ConfigGroup(
        `${name}-${id}`,
        {
          objs: manifests.apply((ms) => (ms as Manifest[]).filter((m) => m.kind !== "Namespace")),
          // Without its token polybot cannot become ready; do not hold `pulumi up` for it.
          ...(waitsForToken ? { skipAwait: true } : {}),
        },
        { parent: this, provider, dependsOn: after },
      );
    }
    this.configGroups = groups;
    this.dependencies = dependencies;
    this.grafanaUrl = args.charts.includes("grafana") ? `https://${args.values.grafana.host}` : undefined;
    this.botWebhookUrl = args.charts.includes("object-detection")
      ? `https://${args.values.objectDetection.polybot.host}${TELEGRAM_WEBHOOK_PATH}`
      : undefined;
    this.registerOutputs({ grafanaUrl: this.grafanaUrl, botWebhookUrl: this.botWebhookUrl });
  }

  private declareSecrets(name: string, chartId: string, args: WorkloadsArgs, nsGroup: pulumi.Resource | undefined): k8s.core.v1.Secret[] {
    const out: k8s.core.v1.Secret[] = [];
    for (const spec of workloadSecretSpecs(chartId, args.values)) {
      const base = `${name}-${chartId}-${spec.name}`;
      const plain: Record<string, pulumi.Output<string>> = {};
      for (const [key, v] of Object.entries(spec.keys)) {
        if (v.kind === "random") {
          plain[key] = new random.RandomPassword(`${base}-${key}`, { length: v.length, special: false }, { parent: this }).result;
        } else if (v.kind === "fixed") {
          plain[key] = pulumi.output(v.value);
        } else if (v.kind === "telegramBotToken" && args.telegramBotToken !== undefined) {
          plain[key] = pulumi.secret(args.telegramBotToken);
        }
      }
      for (const [key, v] of Object.entries(spec.keys)) {
        if (v.kind !== "mosquittoPasswordFile") continue;
        // A fixed salt per stack keeps the file stable across `pulumi up` runs.
        const salt = new random.RandomBytes(`${base}-${key}-salt`, { length: 12 }, { parent: this });
        plain[key] = pulumi
          .all([plain[v.passwordKey], salt.base64])
          .apply(([password, s]) => mosquittoPasswordLine(v.user, password, Buffer.from(s, "base64")));
      }
      out.push(
        new k8s.core.v1.Secret(
          base,
          {
            metadata: { name: spec.name, namespace: spec.namespace, labels: { "app.kubernetes.io/managed-by": "pulumi" } },
            type: "Opaque",
            stringData: pulumi.secret(pulumi.all(plain)),
          },
          { parent: this, provider: args.provider, dependsOn: nsGroup ? [args.teardown, nsGroup] : [args.teardown] },
        ),
      );
    }
    this.secrets.push(...out);
    return out;
  }
}
