import { Chart } from "cdk8s";
import {
  KubeClusterRole,
  KubeClusterRoleBinding,
  KubeConfigMap,
  KubeDaemonSet,
  KubeServiceAccount,
  IntOrString,
} from "cdk8s-plus-28/lib/imports/k8s";
import type { EnvVar } from "cdk8s-plus-28/lib/imports/k8s";
import { Construct } from "constructs";
import { appLabels, httpProbe, k8sResources, podSecurityNamespace, selectorOf } from "../observability/pod-spec";
import {
  MONITOR_PORT,
  renderFluentConf,
  SEARCH_PASSWORD_ENV,
  SEARCH_USER_ENV,
  STATE_DIR,
} from "./fluent-conf";
import { FLUENTD_NAMESPACE, FluentdValues } from "./values";

export const FLUENTD_NAMES = { daemonSet: "fluentd", config: "fluentd-config" } as const;

/** Props of {@link FluentdChart}. Plain data only. */
export interface FluentdChartProps {
  /** The platform values (only the `fluentd` section is read). */
  readonly values: { readonly fluentd: FluentdValues };
}

/**
 * FluentD on every node (control plane included): tails the container logs
 * the kubelet writes, adds Kubernetes metadata and ships them to CloudWatch
 * Logs (default; the node's instance role grants write access to the cluster's
 * log group only, see infra/aws/logging.ts) or to Elasticsearch/OpenSearch.
 */
export class FluentdChart extends Chart {
  /** The rendered `fluent.conf`. */
  readonly fluentConf: string;

  constructor(scope: Construct, id: string, props: FluentdChartProps) {
    const v = props.values.fluentd;
    super(scope, id, { namespace: FLUENTD_NAMESPACE, disableResourceNameHashes: true });
    const name = FLUENTD_NAMES.daemonSet;
    const labels = appLabels(name, "logging", "collector");

    // hostPath volumes (logs, position file, buffer) need the `privileged` level.
    podSecurityNamespace(this, "Namespace", FLUENTD_NAMESPACE, "privileged");

    const sa = new KubeServiceAccount(this, "ServiceAccount", { metadata: { name, labels } });
    // The kubernetes_metadata filter reads pods and namespaces; nothing else.
    const role = new KubeClusterRole(this, "ClusterRole", {
      metadata: { name, labels },
      rules: [{ apiGroups: [""], resources: ["pods", "namespaces"], verbs: ["get", "list", "watch"] }],
    });
    new KubeClusterRoleBinding(this, "ClusterRoleBinding", {
      metadata: { name, labels },
      roleRef: { apiGroup: "rbac.authorization.k8s.io", kind: "ClusterRole", name: role.name },
      subjects: [{ kind: "ServiceAccount", name: sa.name, namespace: FLUENTD_NAMESPACE }],
    });

    this.fluentConf = renderFluentConf(v);
    new KubeConfigMap(this, "Config", {
      metadata: { name: FLUENTD_NAMES.config, labels },
      data: { "fluent.conf": this.fluentConf },
    });

    const env: EnvVar[] = [
      // The image's entrypoint runs `fluentd -c /fluentd/etc/$FLUENTD_CONF`.
      { name: "FLUENTD_CONF", value: "fluent.conf" },
      // The metadata filter watches only this node's pods.
      { name: "K8S_NODE_NAME", valueFrom: { fieldRef: { fieldPath: "spec.nodeName" } } },
    ];
    if (v.output === "cloudwatch") env.push({ name: "AWS_REGION", value: v.cloudwatch.region });
    const creds = v.search?.credentialsSecret;
    if (creds) {
      env.push(
        { name: SEARCH_USER_ENV, valueFrom: { secretKeyRef: { name: creds.name, key: creds.userKey } } },
        { name: SEARCH_PASSWORD_ENV, valueFrom: { secretKeyRef: { name: creds.name, key: creds.passwordKey } } },
      );
    }

    new KubeDaemonSet(this, "DaemonSet", {
      metadata: { name, labels },
      spec: {
        selector: { matchLabels: selectorOf(name) },
        updateStrategy: { type: "RollingUpdate", rollingUpdate: { maxUnavailable: IntOrString.fromString("10%") } },
        template: {
          metadata: { labels },
          spec: {
            serviceAccountName: sa.name,
            priorityClassName: "system-node-critical",
            // Every node, control plane and tainted pools included.
            tolerations: [{ operator: "Exists" }],
            // Long enough to flush the buffer (flush_at_shutdown) before the kill.
            terminationGracePeriodSeconds: 60,
            securityContext: { seccompProfile: { type: "RuntimeDefault" } },
            containers: [
              {
                name: "fluentd",
                image: v.image,
                imagePullPolicy: "IfNotPresent",
                env,
                ports: [{ name: "monitor", containerPort: MONITOR_PORT }],
                readinessProbe: httpProbe("/api/plugins.json", MONITOR_PORT),
                livenessProbe: httpProbe("/api/plugins.json", MONITOR_PORT, { initialDelaySeconds: 30, failureThreshold: 6 }),
                resources: k8sResources(v.resources),
                securityContext: {
                  // Root: the kubelet writes container logs as root with mode 0640,
                  // and the position file and buffer live on a root-owned host path.
                  // No capabilities, so root here cannot bypass file permissions.
                  runAsUser: 0,
                  runAsGroup: 0,
                  runAsNonRoot: false,
                  allowPrivilegeEscalation: false,
                  capabilities: { drop: ["ALL"] },
                  // The image's entrypoint starts FluentD through Bundler
                  // (`--gemfile`), which may write its lockfile and caches; the
                  // image is not known to run with a read-only root, so it stays writable.
                  readOnlyRootFilesystem: false,
                },
                volumeMounts: [
                  { name: "config", mountPath: "/fluentd/etc", readOnly: true },
                  { name: "varlogcontainers", mountPath: "/var/log/containers", readOnly: true },
                  // The files in /var/log/containers are symlinks into /var/log/pods.
                  { name: "varlogpods", mountPath: "/var/log/pods", readOnly: true },
                  { name: "state", mountPath: STATE_DIR },
                ],
              },
            ],
            volumes: [
              { name: "config", configMap: { name: FLUENTD_NAMES.config } },
              { name: "varlogcontainers", hostPath: { path: "/var/log/containers", type: "Directory" } },
              { name: "varlogpods", hostPath: { path: "/var/log/pods", type: "Directory" } },
              // On the host, so a restarted pod resumes where it stopped (position
              // file) and re-sends what it had buffered but not delivered.
              { name: "state", hostPath: { path: STATE_DIR, type: "DirectoryOrCreate" } },
            ],
          },
        },
      },
    });
  }
}
