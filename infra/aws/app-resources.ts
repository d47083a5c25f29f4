/**
 * Every AWS resource the registered charts declare (their entries' `aws`):
 * messaging (./app-messaging.ts), storage (./app-storage.ts) and images
 * (./app-images.ts), the access each service account gets, and the deploy
 * context each chart is synthesized with. Nothing here names a chart.
 */
import * as aws from "@pulumi/aws";
import * as pulumi from "@pulumi/pulumi";
import type { AwsSettings, ServiceAccess } from "../../charts/chart-entry";
import { CHARTS, ChartEntry, DeployContext } from "../../charts/registry";
import type { PlatformValues } from "../../charts/values";
import { AppResourceArns, serviceAccessPolicy, storageWorkerPolicy } from "../policies/app-access";
import type { PolicyDocument } from "../policies/document";
import { AppImages } from "./app-images";
import { AppMessaging, AppMessagingArgs } from "./app-messaging";
import { AppStorage } from "./app-storage";

/** What one chart got on AWS. */
export interface ChartAws {
  readonly messaging: AppMessaging;
  readonly storage?: AppStorage;
  readonly images?: AppImages;
  /** Policy on a node role for the declared storage; only when one is given (the platform gives none). */
  readonly storageWorkerPolicy?: aws.iam.RolePolicy;
  /**
   * The policy each service account needs, by service account name: what a role for
   * that service account (IAM roles for service accounts) gets.
   */
  readonly serviceAccess: pulumi.Output<Record<string, PolicyDocument>>;
  /** What the chart is synthesized with. */
  readonly deployContext: pulumi.Output<DeployContext>;
}

export interface ChartAwsArgs extends Omit<AppMessagingArgs, "declaration"> {
  /** Each chart's parsed AWS settings, by chart id (`PlatformConfig.chartSettings`). */
  readonly settings: Readonly<Record<string, AwsSettings>>;
  /** The charts' values, for the entries' warnings; none when workloads are off. */
  readonly values?: PlatformValues;
}

const arnsByKey = <T extends { arn: pulumi.Output<string> }>(rs: Readonly<Record<string, T>>) =>
  pulumi.all(Object.fromEntries(Object.entries(rs).map(([k, r]) => [k, r.arn])));

/** The AWS resources of every registered chart whose stack settings enable them, by chart id. */
export function declareChartAws(args: ChartAwsArgs, charts: readonly ChartEntry[] = CHARTS): Record<string, ChartAws> {
  const out: Record<string, ChartAws> = {};
  for (const c of charts) {
    const settings = args.settings[c.id];
    if (!c.aws || !settings?.enabled) continue;
    const messagingDecl = c.aws.messaging(settings);
    const name = `${args.clusterName}-${messagingDecl.prefix}`;
    const messaging = new AppMessaging(name, { ...args, declaration: messagingDecl });
    const storageDecl = c.aws.storage?.(settings);
    const storage = storageDecl && new AppStorage(`${args.clusterName}-${storageDecl.prefix}`, { clusterName: args.clusterName, tags: args.tags, declaration: storageDecl });
    const imagesDecl = c.aws.images?.(settings);
    const images = imagesDecl && new AppImages(`${args.clusterName}-${imagesDecl.prefix}`, { clusterName: args.clusterName, tags: args.tags, declaration: imagesDecl });
    const access = c.aws.access?.(settings) ?? [];
    for (const w of args.values ? (c.aws.warnings?.(settings, args.values) ?? []) : []) pulumi.log.warn(w);

    const arns: pulumi.Output<AppResourceArns> = pulumi
      .all([arnsByKey(messaging.queues), arnsByKey(messaging.topics), arnsByKey(storage?.buckets ?? {}), arnsByKey(storage?.tables ?? {})])
      .apply(([queues, topics, buckets, tables]) => ({ queues, topics, buckets, tables }));
    const storagePolicy =
      storage && args.workerRoleName !== undefined ? accessWorkerPolicy(`${name}-storage-worker`, args.workerRoleName, access, arns, storage) : undefined;
    const deployContext = pulumi
      .all([messaging.deployContext, storage?.bucketNames ?? {}, storage?.tableNames ?? {}, images?.imageRefs ?? {}])
      .apply(([m, bucketNames, tableNames, refs]) => ({
        ...m,
        bucketNames,
        tableNames,
        ...(Object.keys(refs).length > 0 ? { images: refs } : {}),
      }));
    out[c.id] = {
      messaging,
      storage,
      images,
      storageWorkerPolicy: storagePolicy,
      serviceAccess: arns.apply((a) => Object.fromEntries(access.map((s) => [s.serviceAccount, serviceAccessPolicy(s, a)]))),
      deployContext,
    };
  }
  return out;
}

function accessWorkerPolicy(
  name: string,
  role: pulumi.Input<string>,
  access: readonly ServiceAccess[],
  arns: pulumi.Output<AppResourceArns>,
  parent: pulumi.Resource,
): aws.iam.RolePolicy | undefined {
  // IAM rejects an empty policy: none when no service uses the storage.
  if (!access.some((s) => (s.objects?.length ?? 0) + (s.tables?.length ?? 0) > 0)) return undefined;
  const policy = arns.apply((a) => JSON.stringify(storageWorkerPolicy(access, a)));
  return new aws.iam.RolePolicy(name, { role, policy }, { parent });
}

/** The stack outputs the charts' `aws.stackOutput` declare, by output name, for the charts that have AWS resources. */
export function chartAwsStackOutputs(resources: Readonly<Record<string, ChartAws>>, charts: readonly ChartEntry[] = CHARTS): Record<string, pulumi.Output<unknown>> {
  const out: Record<string, pulumi.Output<unknown>> = {};
  for (const c of charts) {
    const r = resources[c.id];
    const output = c.aws?.stackOutput;
    if (r && output) out[output.name] = r.deployContext.apply(output.value);
  }
  return out;
}
