/**
 * What a chart tells the deploying program about itself. A registry entry
 * (`charts/registry.ts`) carries all of it, so `infra/` deploys any registered
 * chart without naming one: the Secrets it references and how each key is made,
 * the stack values it takes (as defaults of its values, or as a deploy context at
 * synthesis), the URLs it exposes as stack outputs, what it provides to other
 * charts, and the AWS resources it needs (queues, topics, dead-letter queues,
 * buckets, tables, image repositories and builds) with each service's access.
 *
 * Plain data and pure functions only: `npm run synth` reads the same entries
 * without AWS or Pulumi.
 */
import type { App, Chart } from "cdk8s";
import type { Validator } from "../lib/validate";
import type { RequiredSecret } from "./required-secrets";
import type { PlatformValues } from "./values";

export interface ChartEntry {
  /** File stem in `dist/` and construct id; lower-case, '-' separated. */
  readonly id: string;
  /** Namespace the chart's namespaced objects live in; undefined when it has only cluster-scoped objects. */
  readonly namespace: string | undefined;
  readonly create: (app: App, values: PlatformValues, deploy?: DeployContext) => Chart;
  /**
   * Whether the values select this chart; a chart that is not selected is
   * neither synthesized nor deployed.
   * @default - always selected
   */
  readonly enabled?: (values: PlatformValues) => boolean;
  /**
   * Deployed by a stack that does not list its charts (`workloads.charts` unset).
   * @default false
   */
  readonly deployByDefault?: boolean;
  /**
   * The Secrets the chart's pods read and never contain, with how the deploying
   * program generates each key. Every Secret name comes from the values, so the
   * chart and the program agree by construction.
   * @default - none
   */
  readonly secrets?: (values: PlatformValues) => readonly RequiredSecret[];
  /**
   * Secret values only the stack holds (`workloads.<key>`), which a Secret key
   * takes with `{ kind: "stackSecret", key }`.
   * @default - none
   */
  readonly stackSecrets?: readonly StackSecretDeclaration[];
  /**
   * Defaults the stack gives the chart's values (region, cluster name, ...), as a
   * fragment of the values document; the user's own values win.
   * @default - none
   */
  readonly stackDefaults?: (stack: StackFacts) => Readonly<Record<string, unknown>>;
  /**
   * URLs the chart serves, by stack output name (`pulumi stack output <name>`).
   * @default - none
   */
  readonly urls?: (values: PlatformValues) => Readonly<Record<string, string>>;
  /**
   * Platform objects the chart provides to other charts' objects (which wait for it).
   * @default - none
   */
  readonly provides?: readonly PlatformCapability[];
  /**
   * The AWS resources the chart needs (messaging, and optionally storage, images and
   * each service's access), with the stack configuration that shapes them. A chart
   * that declares them is synthesized with a {@link DeployContext} holding the real
   * queue URLs, topic ARNs, bucket and table names and built images.
   * @default - none
   */
  readonly aws?: ChartAwsDeclaration<AwsSettings>;
  /**
   * AWS access the chart's service accounts need to what the platform itself owns
   * (the container log group, CloudWatch). Each gets its own role that trusts only
   * that service account; the chart receives the ARNs in {@link DeployContext.roleArns}.
   * @default - none
   */
  readonly platformAwsAccess?: (values: PlatformValues) => readonly PlatformAwsAccess[];
}

/** What a service account may do with a platform resource: write container logs, or read CloudWatch (metrics, the log group). */
export type PlatformAwsAccessKind = "writeContainerLogs" | "readCloudWatch";

export interface PlatformAwsAccess {
  /** Service account of the pods, in the chart's namespace. */
  readonly serviceAccount: string;
  readonly access: PlatformAwsAccessKind;
}

/** What a chart can provide to others: `clusterIssuers` issues the certificates Ingresses request. */
export type PlatformCapability = "clusterIssuers";

/** What the stack knows before any resource exists. */
export interface StackFacts {
  readonly clusterName: string;
  readonly region: string;
  /** CloudWatch Logs group of the container logs, when the stack creates one. */
  readonly logGroupName?: string;
}

/** A secret value the stack configuration holds for a chart: `workloads.<key>`, set with `pulumi config set --secret`. */
export interface StackSecretDeclaration {
  readonly key: string;
  /** A valid value. A bad value is reported without being echoed. */
  readonly pattern: RegExp;
  /** What is allowed, for the problem report. */
  readonly allowed: string;
  /**
   * What `pulumi up` warns when the chart is deployed without the value. Its key is
   * then left out of the Secret, and the chart's objects are applied without
   * waiting for readiness (the pods that need it cannot become ready).
   */
  readonly unsetWarning: string;
}

/**
 * What only a deployment knows (values Pulumi created), as plain data. Absent
 * for `npm run synth`, where charts write clearly named placeholders instead.
 * Pulumi resolves its outputs first, then synthesizes with this context.
 */
export interface DeployContext {
  readonly region: string;
  /** URL of each queue the chart's {@link MessagingDeclaration} declared (topic subscribers included), by key. */
  readonly queueUrls: Readonly<Record<string, string>>;
  /** ARN of each declared topic, by key. */
  readonly topicArns: Readonly<Record<string, string>>;
  /**
   * The IAM role of each of the chart's service accounts that has one (its
   * {@link ChartEntry.platformAwsAccess}), by service account name.
   * @default - none
   */
  readonly roleArns?: Readonly<Record<string, string>>;
  /**
   * Name of each bucket the chart's {@link StorageDeclaration} declared, by key.
   * @default - none
   */
  readonly bucketNames?: Readonly<Record<string, string>>;
  /**
   * Name of each declared table, by key.
   * @default - none
   */
  readonly tableNames?: Readonly<Record<string, string>>;
  /**
   * The image reference (`<repository>:<tag>@<digest>`) of each image Pulumi built and
   * pushed, by the key of its {@link ImageDeclaration}; the chart uses it instead of
   * the image its values name.
   * @default - none: the images come from the values
   */
  readonly images?: Readonly<Record<string, string>>;
}

/** Settings every chart's AWS section has. */
export interface AwsSettings {
  /** false: no AWS resources, and the chart cannot be deployed. */
  readonly enabled: boolean;
}

/** The AWS side of a chart and the stack configuration key that shapes it. */
export interface ChartAwsDeclaration<S extends AwsSettings> {
  /** Top-level stack configuration key (`pulumi config set --path <configKey>.<setting>`). */
  readonly configKey: string;
  /** Reads `configKey` from the stack configuration, recording problems on `v` (lib/validate). */
  parse(v: Validator): S;
  /** The queues and topics the settings ask for; called only when `settings.enabled`. */
  messaging(settings: S): MessagingDeclaration;
  /**
   * The buckets and tables the settings ask for; called only when `settings.enabled`.
   * @default - none
   */
  storage?(settings: S): StorageDeclaration;
  /**
   * The chart's own images: one registry repository each, built and pushed by Pulumi
   * when the declaration says so; called only when `settings.enabled`.
   * @default - none
   */
  images?(settings: S): ImagesDeclaration;
  /**
   * What each of the chart's service accounts may do with the declared resources,
   * for a role per service account that holds exactly that policy.
   * @default - none
   */
  access?(settings: S): readonly ServiceAccess[];
  /**
   * What `pulumi up` warns about for these settings and values (a default that leaves
   * pods unable to start, for example).
   * @default - none
   */
  warnings?(settings: S, values: PlatformValues): readonly string[];
  /**
   * A stack output carrying what the chart received, in the chart's own shape.
   * @default - none
   */
  readonly stackOutput?: { readonly name: string; readonly value: (deploy: DeployContext) => unknown };
}

/** Pulumi type, name and tags of a group of declared resources; changing `component` or `prefix` replaces them. */
export interface ResourceGroupNaming {
  /** Pulumi component type (`platform:infra:<component>`); part of every resource's URN. */
  readonly component: string;
  /** Name suffix (`<cluster>-<prefix>-<key>`); part of every resource's URN and AWS name. */
  readonly prefix: string;
  /** Value of the `platform/app` tag on every resource. */
  readonly app: string;
}

/**
 * SQS queues and SNS topics, each queue with its own dead-letter queue; what each
 * service may do with them is its `access` (a role per service account).
 */
export interface MessagingDeclaration extends ResourceGroupNaming {
  /** Dead-letter queues keep failed messages this long; at least the longest source retention. */
  readonly deadLetterRetentionSeconds: number;
  /** Receives before a message moves to its dead-letter queue. */
  readonly maxReceiveCount: number;
  readonly queues: readonly QueueDeclaration[];
  readonly topics: readonly TopicDeclaration[];
}

export interface QueueSettings {
  /** Resource name suffix and key in {@link DeployContext.queueUrls}. */
  readonly key: string;
  readonly retentionSeconds: number;
  readonly visibilityTimeoutSeconds: number;
}

export interface QueueDeclaration extends QueueSettings {
  /** PascalCase name in the worker policy's statement ids (`Send<label>`, `Consume<label>`). */
  readonly label: string;
  /** Whether the pods send to the queue. */
  readonly send: boolean;
  /** Whether the pods consume from the queue. */
  readonly consume: boolean;
}

export interface TopicDeclaration {
  /** Resource name suffix and key in {@link DeployContext.topicArns}. */
  readonly key: string;
  /** PascalCase name in the statement ids (`Publish<label>`, `Consume<label>`, `DeliveryFrom<label>Topic`). */
  readonly label: string;
  /** Whether the pods publish to the topic. */
  readonly publish: boolean;
  /** Queues subscribed to the topic (raw delivery), which the pods consume. */
  readonly subscribers: readonly QueueSettings[];
}

/** S3 buckets and DynamoDB tables, encrypted, private, and gone with the stack. */
export interface StorageDeclaration extends ResourceGroupNaming {
  readonly buckets: readonly BucketDeclaration[];
  readonly tables: readonly TableDeclaration[];
}

export interface BucketDeclaration {
  /** Resource name suffix and key in {@link DeployContext.bucketNames}. */
  readonly key: string;
  /** Objects under each prefix are deleted this many days after they were written. */
  readonly expirations: readonly { readonly prefix: string; readonly days: number }[];
}

export interface TableDeclaration {
  /** Resource name suffix and key in {@link DeployContext.tableNames}. */
  readonly key: string;
  /** Partition key (a string attribute). */
  readonly hashKey: string;
  /** Sort key (a string attribute). */
  readonly rangeKey: string;
  /** Number attribute (epoch seconds) after which DynamoDB deletes an item. */
  readonly ttlAttribute: string;
}

/** One registry repository per image, and what Pulumi builds into it when `build` is set. */
export interface ImagesDeclaration extends ResourceGroupNaming {
  /** Build and push the images; otherwise the chart's values name them. */
  readonly build: boolean;
  /** Images each repository keeps; older ones are expired. */
  readonly keepImages: number;
  /** Build context, relative to the repository root. */
  readonly context: string;
  /** Platforms the images are built for (`linux/amd64`, `linux/arm64`): the worker nodes'. */
  readonly platforms: readonly string[];
  readonly images: readonly ImageDeclaration[];
}

export interface ImageDeclaration {
  /** Repository name suffix and key in {@link DeployContext.images}. */
  readonly key: string;
  /** Dockerfile, relative to the build context. */
  readonly dockerfile: string;
  /**
   * Build arguments; part of the content hash that tags the image.
   * @default - none
   */
  readonly buildArgs?: Readonly<Record<string, string>>;
}

/** DynamoDB actions a service may be granted on a declared table. */
export type TableAction = "GetItem" | "PutItem" | "UpdateItem" | "DeleteItem" | "Query" | "Scan" | "DescribeTable";

/**
 * What one service account of the chart may do with the declared resources (by
 * key), and nothing more. Queue and topic keys are the messaging declaration's.
 */
export interface ServiceAccess {
  /** Kubernetes service account of the service's pods, in the chart's namespace. */
  readonly serviceAccount: string;
  /** PascalCase name in statement ids and policy names. */
  readonly label: string;
  /** @default - none */
  readonly sendQueues?: readonly string[];
  /** Queues it receives from, deletes from and changes visibility on. @default - none */
  readonly consumeQueues?: readonly string[];
  /** @default - none */
  readonly publishTopics?: readonly string[];
  /** Objects it reads or writes, under a key prefix of a bucket (which it may list). @default - none */
  readonly objects?: readonly { readonly bucket: string; readonly prefix: string; readonly read?: boolean; readonly write?: boolean }[];
  /** @default - none */
  readonly tables?: readonly { readonly table: string; readonly actions: readonly TableAction[] }[];
}

/** Everything an entry says about its chart besides its id, namespace, selection and `create`. */
export type ChartRegistration = Omit<ChartEntry, "id" | "namespace" | "create" | "enabled">;

/** What each {@link PlatformCapability} does for the charts that need it (problem reports say it). */
export const CAPABILITY_PURPOSE: Readonly<Record<PlatformCapability, string>> = {
  clusterIssuers: "issues the certificates these charts request",
};
