/**
 * The roles of the charts' service accounts: for what the platform itself owns (their
 * registry entries' `platformAwsAccess`: FluentD writes the container log group,
 * Grafana reads CloudWatch) and for what the charts declared (`aws.access`: each
 * service's queues, topics, objects and tables). Each role trusts exactly one service
 * account (Identity.addServiceAccountRole); the charts receive the ARNs in their
 * deploy context. Nothing here names a chart.
 */
import * as pulumi from "@pulumi/pulumi";
import type { AwsSettings, DeployContext, PlatformAwsAccess } from "../../charts/chart-entry";
import type { PolicyDocument } from "../policies/document";
import { CHARTS, ChartEntry } from "../../charts/registry";
import type { PlatformValues } from "../../charts/values";
import type { Identity, ServiceAccountRole } from "./identity";

export interface PlatformAccessRole {
  readonly chartId: string;
  /** The service account (`access.serviceAccount`). */
  readonly serviceAccount: string;
  readonly access: PlatformAwsAccess;
  readonly role: ServiceAccountRole;
}

/** One role per declared access of every chart the values select. No values (workloads off): none. */
export function declarePlatformAccessRoles(
  identity: Identity,
  values: PlatformValues | undefined,
  charts: readonly ChartEntry[] = CHARTS,
): PlatformAccessRole[] {
  if (!values) return [];
  const out: PlatformAccessRole[] = [];
  for (const c of charts) {
    if (!c.platformAwsAccess || !c.namespace || (c.enabled && !c.enabled(values))) continue;
    for (const access of c.platformAwsAccess(values)) {
      const serviceAccount = { namespace: c.namespace, name: access.serviceAccount };
      out.push({ chartId: c.id, serviceAccount: access.serviceAccount, access, role: identity.addServiceAccountRole(`${c.id}-${access.serviceAccount}`, serviceAccount, {}) });
    }
  }
  return out;
}

/** A role for a service account's declared access to its chart's own resources. */
export interface ServiceAccessRole {
  readonly chartId: string;
  readonly serviceAccount: string;
  readonly role: ServiceAccountRole;
}

/**
 * One role per service account a chart's `aws.access` names (for the charts whose AWS
 * resources exist, `resources` by chart id), in the chart's namespace, holding exactly
 * that service's policy (`serviceAccess`, by service account).
 */
export function declareServiceAccessRoles(
  identity: Identity,
  resources: Readonly<Record<string, { readonly serviceAccess: pulumi.Output<Record<string, PolicyDocument>> }>>,
  settings: Readonly<Record<string, AwsSettings>>,
  charts: readonly ChartEntry[] = CHARTS,
): ServiceAccessRole[] {
  const out: ServiceAccessRole[] = [];
  for (const c of charts) {
    const r = resources[c.id];
    const s = settings[c.id];
    if (!r || !s || !c.aws?.access || !c.namespace) continue;
    for (const sa of c.aws.access(s).map((a) => a.serviceAccount)) {
      const policy = r.serviceAccess.apply((p) => p[sa]);
      const role = identity.addServiceAccountRole(`${c.id}-${sa}`, { namespace: c.namespace, name: sa }, { access: policy });
      out.push({ chartId: c.id, serviceAccount: sa, role });
    }
  }
  return out;
}

/** Role names with one kind of access (for the policies infra/aws/logging.ts attaches). */
export function roleNamesWith(roles: readonly PlatformAccessRole[], kind: PlatformAwsAccess["access"]): pulumi.Output<string>[] {
  return roles.filter((r) => r.access.access === kind).map((r) => r.role.roleName);
}

/**
 * The deploy contexts with each chart's role ARNs added (by service account); a chart
 * with roles and no other AWS resources gets a context of its own.
 */
export function withRoleArns(
  contexts: Readonly<Record<string, pulumi.Input<DeployContext>>>,
  roles: readonly { readonly chartId: string; readonly serviceAccount: string; readonly role: ServiceAccountRole }[],
  region: string,
): Record<string, pulumi.Output<DeployContext>> {
  const out: Record<string, pulumi.Output<DeployContext>> = {};
  for (const [id, ctx] of Object.entries(contexts)) out[id] = pulumi.output(ctx) as pulumi.Output<DeployContext>;
  const byChart = new Map<string, (typeof roles)[number][]>();
  for (const r of roles) byChart.set(r.chartId, [...(byChart.get(r.chartId) ?? []), r]);
  for (const [id, rs] of byChart) {
    const arns = pulumi.all(Object.fromEntries(rs.map((r) => [r.serviceAccount, r.role.roleArn])));
    const base: pulumi.Output<DeployContext> = out[id] ?? pulumi.output({ region, queueUrls: {}, topicArns: {} });
    out[id] = pulumi.all([base, arns]).apply(([b, a]) => ({ ...b, roleArns: { ...(b.roleArns ?? {}), ...a } }));
  }
  return out;
}
