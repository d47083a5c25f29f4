import { Chart, Duration } from "cdk8s";
import * as kplus from "cdk8s-plus-28";
import { KubeConfigMap, KubePersistentVolumeClaim, Quantity } from "cdk8s-plus-28/lib/imports/k8s";
import { Construct } from "constructs";
import { stringify } from "yaml";
import { AppNamespace } from "../../constructs/app-namespace";
import { Microservice } from "../../constructs/microservice";
import { TlsIngress } from "../../constructs/tls-ingress";
import { prometheusUrl } from "../prometheus/chart";
import { ingressIssuer } from "../tls";
import type { PrometheusValues } from "../prometheus/values";
import type { GlobalValues } from "../global-values";
import type { Dashboard } from "./dashboards/builder";
import { buildDashboards } from "./dashboards/index";
import { DASHBOARDS_DIR, dashboardProviders, datasources } from "./provisioning";
import { GRAFANA_NAMESPACE, GRAFANA_SERVER_NAME, GrafanaValues } from "./values";

/** UID and GID of the `grafana` user of the official image. */
export const GRAFANA_UID = 472;
const PORT = 3000;
const DATA_DIR = "/var/lib/grafana";
/** Labels of every object besides `name` and `part-of`. */
const EXTRA_LABELS = { "app.kubernetes.io/component": "server", "app.kubernetes.io/managed-by": "cdk8s" };

export const GRAFANA_NAMES = {
  server: GRAFANA_SERVER_NAME,
  data: "grafana-data",
  datasources: "grafana-datasources",
  dashboardProviders: "grafana-dashboard-providers",
  dashboards: "grafana-dashboards",
} as const;

/** Props of {@link GrafanaChart}. Plain data only. */
export interface GrafanaChartProps {
  /** The platform values (only these sections are read). */
  readonly values: {
    readonly global: GlobalValues;
    readonly grafana: GrafanaValues;
    /** Where the datasource points and the thresholds the dashboards share with the alerts. */
    readonly prometheus: PrometheusValues;
  };
  /**
   * The role of Grafana's service account (CloudWatch datasource), from the deploy context.
   * @default - no AWS credentials (`npm run synth`, or CloudWatch off)
   */
  readonly awsRoleArn?: string;
}

/**
 * Grafana with its data (SQLite database, sessions, plugins) on an EBS-backed
 * PersistentVolumeClaim, datasources and dashboards provisioned from files,
 * and the UI behind the TLS ingress. Admin credentials come from an existing
 * Secret; nothing secret is in the manifests.
 */
export class GrafanaChart extends Chart {
  /** The provisioned dashboards, by file name. */
  readonly dashboards: Record<string, Dashboard>;
  readonly datasources: Record<string, unknown>;
  readonly ingress: TlsIngress;

  constructor(scope: Construct, id: string, props: GrafanaChartProps) {
    const { global, grafana: v, prometheus } = props.values;
    super(scope, id, { namespace: GRAFANA_NAMESPACE, disableResourceNameHashes: true });
    const name = GRAFANA_NAMES.server;
    const labels = { "app.kubernetes.io/name": name, "app.kubernetes.io/part-of": "grafana", ...EXTRA_LABELS };

    new AppNamespace(this, "Namespace", { name: GRAFANA_NAMESPACE });

    this.datasources = datasources({
      prometheusUrl: v.prometheusUrl ?? prometheusUrl(),
      prometheusScrapeInterval: prometheus.scrapeInterval,
      cloudwatchRegion: v.cloudwatch.enabled ? v.cloudwatch.region : undefined,
    });
    this.dashboards = buildDashboards({
      certificateExpiryDays: prometheus.alerts.certificateExpiryDays,
      objectDetectionNamespace: v.objectDetectionNamespace,
      sqs: v.cloudwatch.enabled ? v.sqs : undefined,
    });

    new KubeConfigMap(this, "Datasources", {
      metadata: { name: GRAFANA_NAMES.datasources, labels },
      data: { "datasources.yaml": stringify(this.datasources, { lineWidth: 0 }) },
    });
    new KubeConfigMap(this, "DashboardProviders", {
      metadata: { name: GRAFANA_NAMES.dashboardProviders, labels },
      data: { "dashboards.yaml": stringify(dashboardProviders(), { lineWidth: 0 }) },
    });
    new KubeConfigMap(this, "Dashboards", {
      metadata: { name: GRAFANA_NAMES.dashboards, labels },
      data: Object.fromEntries(Object.entries(this.dashboards).map(([file, d]) => [file, `${JSON.stringify(d, null, 2)}\n`])),
    });

    new KubePersistentVolumeClaim(this, "Data", {
      metadata: { name: GRAFANA_NAMES.data, labels },
      spec: {
        accessModes: ["ReadWriteOnce"],
        storageClassName: v.storage.storageClass,
        resources: { requests: { storage: Quantity.fromString(v.storage.size) } },
      },
    });

    const grafana = this.server(v, props.awsRoleArn);
    const service = grafana.service as kplus.Service;

    this.ingress = new TlsIngress(this, "Ingress", {
      name,
      namespace: GRAFANA_NAMESPACE,
      host: v.host,
      service,
      ingressClassName: global.ingressClass,
      issuer: ingressIssuer(global),
    });
  }

  /** Grafana itself, with its data volume and the provisioning ConfigMaps mounted. */
  private server(v: GrafanaValues, awsRoleArn: string | undefined): Microservice {
    const health = (options: { failureThreshold: number; periodSeconds?: number }) =>
      kplus.Probe.fromHttpGet("/api/health", {
        port: PORT,
        periodSeconds: Duration.seconds(options.periodSeconds ?? 10),
        timeoutSeconds: Duration.seconds(5),
        failureThreshold: options.failureThreshold,
      });
    const grafana = new Microservice(this, "Server", {
      name: GRAFANA_NAMES.server,
      partOf: "grafana",
      labels: EXTRA_LABELS,
      image: v.image,
      port: PORT,
      servicePort: 80,
      // Users come through the ingress controller (the TlsIngress admits it).
      callers: [],
      replicas: 1,
      // ReadWriteOnce volume and a SQLite database: never two pods at once.
      strategy: kplus.DeploymentStrategy.recreate(),
      awsRoleArn,
      probes: {
        readiness: health({ failureThreshold: 3 }),
        liveness: health({ failureThreshold: 6 }),
        // The first start migrates the database on a fresh volume.
        startup: health({ failureThreshold: 30, periodSeconds: 5 }),
      },
      resources: v.resources,
      // fsGroup makes the fresh EBS volume writable by the grafana user.
      security: { runAsUser: GRAFANA_UID, runAsGroup: GRAFANA_UID },
      shutdown: { terminationGracePeriodSeconds: 30 },
      envFromSecrets: {
        GF_SECURITY_ADMIN_USER: { secretName: v.adminSecret.name, key: v.adminSecret.userKey },
        GF_SECURITY_ADMIN_PASSWORD: { secretName: v.adminSecret.name, key: v.adminSecret.passwordKey },
      },
      env: {
        GF_PATHS_DATA: DATA_DIR,
        GF_SERVER_ROOT_URL: `https://${v.host}/`,
        GF_SECURITY_COOKIE_SECURE: "true",
        GF_USERS_ALLOW_SIGN_UP: "false",
        GF_AUTH_ANONYMOUS_ENABLED: "false",
        GF_ANALYTICS_REPORTING_ENABLED: "false",
        GF_ANALYTICS_CHECK_FOR_UPDATES: "false",
        GF_LOG_MODE: "console",
      },
    });
    const container = grafana.deployment.containers[0];
    const claim = kplus.PersistentVolumeClaim.fromClaimName(this, "DataRef", GRAFANA_NAMES.data);
    container.mount(DATA_DIR, kplus.Volume.fromPersistentVolumeClaim(this, "DataVolume", claim, { name: "data" }));
    const provisioned: [string, string, string][] = [
      ["datasources", GRAFANA_NAMES.datasources, "/etc/grafana/provisioning/datasources"],
      ["dashboard-providers", GRAFANA_NAMES.dashboardProviders, "/etc/grafana/provisioning/dashboards"],
      ["dashboards", GRAFANA_NAMES.dashboards, DASHBOARDS_DIR],
    ];
    for (const [volume, configMap, path] of provisioned) {
      const ref = kplus.ConfigMap.fromConfigMapName(this, `${volume}-ref`, configMap);
      container.mount(path, kplus.Volume.fromConfigMap(this, `${volume}-volume`, ref, { name: volume }), { readOnly: true });
    }
    return grafana;
  }
}
