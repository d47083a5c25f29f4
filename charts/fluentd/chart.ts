import { Chart, Duration } from "cdk8s";
import * as kplus from "cdk8s-plus-28";
import { KubeClusterRole, KubeClusterRoleBinding, KubeConfigMap } from "cdk8s-plus-28/lib/imports/k8s";
import { Construct } from "constructs";
import { AppNamespace } from "../../constructs/app-namespace";
import { HostDaemonSet } from "../../constructs/host-daemon-set";
import type { SecretKeyRef } from "../../constructs/workload-props";
import {
  MONITOR_PORT,
  renderFluentConf,
  SEARCH_PASSWORD_ENV,
  SEARCH_USER_ENV,
  STATE_DIR,
} from "./fluent-conf";
import { FLUENTD_NAMESPACE, FluentdValues } from "./values";

export const FLUENTD_NAMES = { daemonSet: "fluentd", config: "fluentd-config" } as const;

const EXTRA_LABELS = { "app.kubernetes.io/component": "collector", "app.kubernetes.io/managed-by": "cdk8s" };

/** Props of {@link FluentdChart}. Plain data only. */
export interface FluentdChartProps {
  /** The platform values (only the `fluentd` section is read). */
  readonly values: { readonly fluentd: FluentdValues };
  /**
   * The role of the DaemonSet's service account (CloudWatch Logs output), from the deploy context.
   * @default - no AWS credentials (`npm run synth`, or an Elasticsearch output)
   */
  readonly awsRoleArn?: string;
}

/**
 * FluentD on every node (control plane included): tails the container logs
 * the kubelet writes, adds Kubernetes metadata and ships them to CloudWatch
 * Logs (default; its service account's own role grants write access to the
 * cluster's log group only, see infra/aws/logging.ts) or to Elasticsearch/OpenSearch.
 */
export class FluentdChart extends Chart {
  /** The rendered `fluent.conf`. */
  readonly fluentConf: string;

  constructor(scope: Construct, id: string, props: FluentdChartProps) {
    const v = props.values.fluentd;
    super(scope, id, { namespace: FLUENTD_NAMESPACE, disableResourceNameHashes: true });
    const name = FLUENTD_NAMES.daemonSet;
    const labels = { "app.kubernetes.io/name": name, "app.kubernetes.io/part-of": "logging", ...EXTRA_LABELS };

    // hostPath volumes (logs, position file, buffer) need the `privileged`
    // level; anything weaker than `restricted` still shows up in warnings and the audit log.
    new AppNamespace(this, "Namespace", { name: FLUENTD_NAMESPACE, podSecurity: "privileged", podSecurityWarn: "restricted" });

    this.fluentConf = renderFluentConf(v);
    new KubeConfigMap(this, "Config", {
      metadata: { name: FLUENTD_NAMES.config, labels },
      data: { "fluent.conf": this.fluentConf },
    });

    const creds = v.search?.credentialsSecret;
    const envFromSecrets: Record<string, SecretKeyRef> = creds
      ? {
          [SEARCH_USER_ENV]: { secretName: creds.name, key: creds.userKey },
          [SEARCH_PASSWORD_ENV]: { secretName: creds.name, key: creds.passwordKey },
        }
      : {};
    const probe = (options: { initialDelaySeconds?: number; failureThreshold: number }) =>
      kplus.Probe.fromHttpGet("/api/plugins.json", {
        port: MONITOR_PORT,
        periodSeconds: Duration.seconds(10),
        timeoutSeconds: Duration.seconds(5),
        failureThreshold: options.failureThreshold,
        initialDelaySeconds: options.initialDelaySeconds === undefined ? undefined : Duration.seconds(options.initialDelaySeconds),
      });

    const collector = new HostDaemonSet(this, "DaemonSet", {
      name,
      partOf: "logging",
      labels: EXTRA_LABELS,
      image: v.image,
      // The metadata filter reads pods and namespaces through the API.
      automountServiceAccountToken: true,
      env: {
        // The image's entrypoint runs `fluentd -c /fluentd/etc/$FLUENTD_CONF`.
        FLUENTD_CONF: "fluent.conf",
        ...(v.output === "cloudwatch" ? { AWS_REGION: v.cloudwatch.region } : {}),
      },
      // The metadata filter watches only this node's pods.
      envFromFields: { K8S_NODE_NAME: "spec.nodeName" },
      envFromSecrets,
      ports: [{ name: "monitor", port: MONITOR_PORT }],
      // It only sends (to CloudWatch Logs or Elasticsearch); the monitor port
      // serves the kubelet's probes, which come from the node and always pass.
      callers: [],
      probes: { readiness: probe({ failureThreshold: 3 }), liveness: probe({ initialDelaySeconds: 30, failureThreshold: 6 }) },
      resources: v.resources,
      // Root: the kubelet writes container logs as root with mode 0640, and
      // the position file and buffer live on a root-owned host path. No
      // capabilities, so root here cannot bypass file permissions. The image's
      // entrypoint starts FluentD through Bundler (`--gemfile`), which may
      // write its lockfile and caches; the image is not known to run with a
      // read-only root, so it stays writable.
      security: { allowRunAsRoot: true, writableRootFilesystem: true },
      // Long enough to flush the buffer (flush_at_shutdown) before the kill.
      shutdown: { terminationGracePeriodSeconds: 60 },
      fileMounts: [{ name: "config", configMapName: FLUENTD_NAMES.config, mountPath: "/fluentd/etc" }],
      awsRoleArn: props.awsRoleArn,
      hostMounts: [
        { name: "varlogcontainers", hostPath: "/var/log/containers", mountPath: "/var/log/containers", type: "Directory" },
        // The files in /var/log/containers are symlinks into /var/log/pods.
        { name: "varlogpods", hostPath: "/var/log/pods", mountPath: "/var/log/pods", type: "Directory" },
        // On the host, so a restarted pod resumes where it stopped (position
        // file) and re-sends what it had buffered but not delivered.
        { name: "state", hostPath: STATE_DIR, mountPath: STATE_DIR, readOnly: false, type: "DirectoryOrCreate" },
      ],
    });

    // The kubernetes_metadata filter reads pods and namespaces; nothing else.
    const role = new KubeClusterRole(this, "ClusterRole", {
      metadata: { name, labels },
      rules: [{ apiGroups: [""], resources: ["pods", "namespaces"], verbs: ["get", "list", "watch"] }],
    });
    new KubeClusterRoleBinding(this, "ClusterRoleBinding", {
      metadata: { name, labels },
      roleRef: { apiGroup: "rbac.authorization.k8s.io", kind: "ClusterRole", name: role.name },
      subjects: [{ kind: "ServiceAccount", name: collector.serviceAccountName, namespace: FLUENTD_NAMESPACE }],
    });
  }
}
