/**
 * Monthly cost of a stack's always-on AWS resources, and of an EKS cluster of the
 * same size (same workers, volumes and load balancer; EKS's control-plane fee
 * instead of the control-plane instance). Pure: README "Deploying for real" prints
 * the table for the default dev stack, and the test keeps it honest.
 *
 * Prices: AWS on-demand list prices, Linux, as published on 2026-11-21, for the two
 * regions listed. Spot pools are priced on-demand (an upper bound). Not counted,
 * because they depend on use: data transfer, load-balancer capacity units, S3, SQS,
 * CloudWatch, Secrets Manager and KMS requests.
 */
import type { PlatformConfig } from "../config";

export const PRICES_AS_OF = "2026-11-21";
export const HOURS_PER_MONTH = 730;

interface RegionPrices {
  /** USD per instance-hour. */
  readonly instances: Readonly<Record<string, number>>;
  /** USD per GiB-month of gp3. */
  readonly gp3GiBMonth: number;
  /** USD per Network Load Balancer hour (without capacity units). */
  readonly nlbHour: number;
  /** USD per public IPv4 address hour (Elastic IP or auto-assigned). */
  readonly publicIpv4Hour: number;
  /** USD per EKS cluster hour (standard support). */
  readonly eksClusterHour: number;
}

export const PRICES: Readonly<Record<string, RegionPrices>> = {
  "eu-west-1": {
    instances: {
      "t3.small": 0.0228,
      "t3.medium": 0.0456,
      "t3.large": 0.0912,
      "t3.xlarge": 0.1824,
      "t4g.medium": 0.0368,
      "t4g.large": 0.0736,
      "m5.large": 0.107,
      "m6i.large": 0.107,
      "c5.large": 0.096,
    },
    gp3GiBMonth: 0.088,
    nlbHour: 0.0252,
    publicIpv4Hour: 0.005,
    eksClusterHour: 0.1,
  },
  "us-east-1": {
    instances: {
      "t3.small": 0.0208,
      "t3.medium": 0.0416,
      "t3.large": 0.0832,
      "t3.xlarge": 0.1664,
      "t4g.medium": 0.0336,
      "t4g.large": 0.0672,
      "m5.large": 0.096,
      "m6i.large": 0.096,
      "c5.large": 0.085,
    },
    gp3GiBMonth: 0.08,
    nlbHour: 0.0225,
    publicIpv4Hour: 0.005,
    eksClusterHour: 0.1,
  },
};

export interface CostLine {
  readonly item: string;
  readonly quantity: number;
  /** USD per month for the whole line. */
  readonly monthly: number;
}

export interface CostEstimate {
  readonly region: string;
  readonly selfManaged: readonly CostLine[];
  readonly eks: readonly CostLine[];
  readonly selfManagedTotal: number;
  readonly eksTotal: number;
}

type CostInput = Pick<PlatformConfig, "cluster" | "nodePools"> & { readonly workloads?: { readonly enabled: boolean } };

const round2 = (n: number) => Math.round(n * 100) / 100;

/** The estimate for `config`; throws naming the region or instance type it has no price for. */
export function estimateMonthlyCost(config: CostInput): CostEstimate {
  const region = config.cluster.region;
  const p = PRICES[region];
  if (!p) throw new Error(`no price table for region ${region}; known: ${Object.keys(PRICES).join(", ")}`);
  const hourly = (type: string) => {
    const price = p.instances[type];
    if (price === undefined) throw new Error(`no price for instance type ${type} in ${region}; known: ${Object.keys(p.instances).join(", ")}`);
    return price;
  };
  const line = (item: string, quantity: number, unitMonthly: number): CostLine => ({ item, quantity, monthly: round2(quantity * unitMonthly) });

  const workers: CostLine[] = [];
  let workerCount = 0;
  for (const pool of config.nodePools.nodePools) {
    const type = pool.instanceTypes[0];
    workers.push(line(`worker pool ${pool.name}: ${type}`, pool.desiredSize, hourly(type) * HOURS_PER_MONTH));
    workers.push(line(`worker pool ${pool.name}: ${pool.rootVolumeSizeGiB} GiB gp3 root volume`, pool.desiredSize, pool.rootVolumeSizeGiB * p.gp3GiBMonth));
    workerCount += pool.desiredSize;
  }
  const shared: CostLine[] = [
    ...workers,
    // Public subnets: every worker has a public IPv4 address.
    line("worker public IPv4 addresses", workerCount, p.publicIpv4Hour * HOURS_PER_MONTH),
    ...(config.workloads?.enabled === false ? [] : [line("ingress Network Load Balancer (hours, no LCUs)", 1, p.nlbHour * HOURS_PER_MONTH)]),
  ];
  const c = config.cluster;
  const selfManaged: CostLine[] = [
    line(`control plane: ${c.controlPlaneInstanceType}`, 1, hourly(c.controlPlaneInstanceType) * HOURS_PER_MONTH),
    line(`control plane: ${c.rootVolumeSizeGiB} GiB gp3 root volume`, 1, c.rootVolumeSizeGiB * p.gp3GiBMonth),
    line("control plane Elastic IP", 1, p.publicIpv4Hour * HOURS_PER_MONTH),
    ...shared,
  ];
  const eks: CostLine[] = [line("EKS control plane fee ($0.10/h)", 1, p.eksClusterHour * HOURS_PER_MONTH), ...shared];
  const total = (lines: readonly CostLine[]) => round2(lines.reduce((s, l) => s + l.monthly, 0));
  return { region, selfManaged, eks, selfManagedTotal: total(selfManaged), eksTotal: total(eks) };
}

/** The README table. */
export function costTableMarkdown(e: CostEstimate): string {
  const rows = new Map<string, { self?: number; eks?: number }>();
  for (const l of e.selfManaged) rows.set(l.item, { self: l.monthly });
  for (const l of e.eks) rows.set(l.item, { ...rows.get(l.item), eks: l.monthly });
  const usd = (n: number | undefined) => (n === undefined ? "–" : `$${n.toFixed(2)}`);
  const lines = [
    `| Item (${e.region}, on-demand, prices of ${PRICES_AS_OF}) | kubeadm (this platform) | EKS, same size |`,
    "|---|---:|---:|",
    ...[...rows].map(([item, v]) => `| ${item} | ${usd(v.self)} | ${usd(v.eks)} |`),
    `| **Total per month** | **${usd(e.selfManagedTotal)}** | **${usd(e.eksTotal)}** |`,
  ];
  return lines.join("\n");
}
