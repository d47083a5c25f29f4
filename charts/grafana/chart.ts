import { Chart } from "cdk8s";
import * as kplus from "cdk8s-plus-28";
import {
  KubeConfigMap,
  KubeDeployment,
  KubePersistentVolumeClaim,
  KubeServiceAccount,
  Quantity,
} from "cdk8s-plus-28/lib/imports/k8s";
import { Construct } from "constructs";
import { stringify } from "yaml";
import { TlsIngress } from "../../constructs/tls-ingress";
import { appLabels, httpProbe, k8sResources, nonRootPod, podSecurityNamespace, restrictedContainer, selectorOf } from "../observability/pod-spec";
import { prometheusUrl } from "../prometheus/chart";
import { ingressIssuer } from "../tls";
import type { PrometheusValues } from "../prometheus/values";
import type { GlobalValues } from "../global-values";
import type { Dashboard } from "./dashboards/builder";
import { buildDashboards } from "./dashboards/index";
import { DASHBOARDS_DIR, dashboardProviders, datasources } from "./provisioning";
import { GRAFANA_NAMESPACE, GrafanaValues } from "./values";

/** UID and GID of the `grafana` user of the official image. */
export const GRAFANA_UID = 472;
const PORT = 3000;
const DATA_DIR = "/var/lib/grafana";

export const GRAFANA_NAMES = {
  server: "grafana",
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
    const labels = appLabels(name, "grafana", "server");

    podSecurityNamespace(this, "Namespace", GRAFANA_NAMESPACE, "restricted");

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

    const sa = new KubeServiceAccount(this, "ServiceAccount", {
      metadata: { name, labels },
      // Grafana never talks to the Kubernetes API.
      automountServiceAccountToken: false,
    });

    const secretEnv = (envName: string, key: string) => ({
      name: envName,
      valueFrom: { secretKeyRef: { name: v.adminSecret.name, key, optional: false } },
    });

    new KubeDeployment(this, "Deployment", {
      metadata: { name, labels },
      spec: {
        replicas: 1,
        // ReadWriteOnce volume and a SQLite database: never two pods at once.
        strategy: { type: "Recreate" },
        selector: { matchLabels: selectorOf(name) },
        template: {
          metadata: { labels },
          spec: {
            serviceAccountName: sa.name,
            automountServiceAccountToken: false,
            // fsGroup makes the fresh EBS volume writable by the grafana user.
            securityContext: nonRootPod(GRAFANA_UID, GRAFANA_UID),
            terminationGracePeriodSeconds: 30,
            containers: [
              {
                name: "grafana",
                image: v.image,
                imagePullPolicy: "IfNotPresent",
                ports: [{ name: "http", containerPort: PORT }],
                env: [
                  secretEnv("GF_SECURITY_ADMIN_USER", v.adminSecret.userKey),
                  secretEnv("GF_SECURITY_ADMIN_PASSWORD", v.adminSecret.passwordKey),
                  { name: "GF_PATHS_DATA", value: DATA_DIR },
                  { name: "GF_SERVER_ROOT_URL", value: `https://${v.host}/` },
                  { name: "GF_SECURITY_COOKIE_SECURE", value: "true" },
                  { name: "GF_USERS_ALLOW_SIGN_UP", value: "false" },
                  { name: "GF_AUTH_ANONYMOUS_ENABLED", value: "false" },
                  { name: "GF_ANALYTICS_REPORTING_ENABLED", value: "false" },
                  { name: "GF_ANALYTICS_CHECK_FOR_UPDATES", value: "false" },
                  { name: "GF_LOG_MODE", value: "console" },
                ],
                readinessProbe: httpProbe("/api/health", PORT),
                livenessProbe: httpProbe("/api/health", PORT, { failureThreshold: 6 }),
                // The first start migrates the database on a fresh volume.
                startupProbe: httpProbe("/api/health", PORT, { failureThreshold: 30, periodSeconds: 5 }),
                resources: k8sResources(v.resources),
                securityContext: restrictedContainer(),
                volumeMounts: [
                  { name: "data", mountPath: DATA_DIR },
                  { name: "tmp", mountPath: "/tmp" },
                  { name: "datasources", mountPath: "/etc/grafana/provisioning/datasources", readOnly: true },
                  { name: "dashboard-providers", mountPath: "/etc/grafana/provisioning/dashboards", readOnly: true },
                  { name: "dashboards", mountPath: DASHBOARDS_DIR, readOnly: true },
                ],
              },
            ],
            volumes: [
              { name: "data", persistentVolumeClaim: { claimName: GRAFANA_NAMES.data } },
              { name: "tmp", emptyDir: { sizeLimit: Quantity.fromString("64Mi") } },
              { name: "datasources", configMap: { name: GRAFANA_NAMES.datasources } },
              { name: "dashboard-providers", configMap: { name: GRAFANA_NAMES.dashboardProviders } },
              { name: "dashboards", configMap: { name: GRAFANA_NAMES.dashboards } },
            ],
          },
        },
      },
    });

    const service = new kplus.Service(this, "Service", {
      metadata: { name, labels },
      type: kplus.ServiceType.CLUSTER_IP,
      ports: [{ name: "http", port: 80, targetPort: PORT }],
    });
    service.selectLabel("app.kubernetes.io/name", name);

    this.ingress = new TlsIngress(this, "Ingress", {
      name,
      namespace: GRAFANA_NAMESPACE,
      host: v.host,
      service,
      ingressClassName: global.ingressClass,
      issuer: ingressIssuer(global),
    });
  }
}
