import { Cron, Duration } from "cdk8s";
import * as kplus from "cdk8s-plus-28";
import { Construct } from "constructs";
import { ConfigFiles } from "../../constructs/config-files";
import { toContainerResources } from "../../constructs/resources";
import { readScript, restrictedContainer } from "./container";
import { DLSTREAMER_NAMES } from "./names";

/** UID/GID the status script runs as (any non-root user: the script writes nothing). */
const STATUS_UID = 10001;

/** Props of {@link PipelineStatus}. */
export interface PipelineStatusProps {
  /** Namespace of every object. */
  readonly namespace: string;
  /** Label `app.kubernetes.io/part-of` of every object. */
  readonly partOf: string;
  /** Image that runs pipeline-status.sh (curl and a POSIX sh with nslookup). */
  readonly image: string;
  /** FQDN of the headless Service listing every ready pipeline server pod. */
  readonly serviceFqdn: string;
  /** Port of the pipeline servers' REST API. */
  readonly port: number;
}

/**
 * The status of the pipelines on every pipeline server pod (not just the one
 * a load balancer picks): a suspended CronJob that is never scheduled, the
 * template of on-demand runs
 * (`kubectl create job --from=cronjob/pipeline-status <name>`).
 */
export class PipelineStatus extends Construct {
  readonly cronJob: kplus.CronJob;
  /** Labels of the status Job's pods. */
  readonly selectorLabels: Readonly<Record<string, string>> = { "app.kubernetes.io/name": DLSTREAMER_NAMES.pipelineStatus };

  constructor(scope: Construct, id: string, props: PipelineStatusProps) {
    super(scope, id);
    const labels = { "app.kubernetes.io/part-of": props.partOf };
    const script = new ConfigFiles(this, "Script", {
      name: "pipeline-status-script",
      namespace: props.namespace,
      labels,
      files: { "pipeline-status.sh": readScript("pipeline-status.sh") },
    });
    // "Default" keeps the construct address, and so the pods' cdk8s.io/metadata.addr label, of a CronJob created in the chart.
    this.cronJob = new kplus.CronJob(this, "Default", {
      metadata: { name: DLSTREAMER_NAMES.pipelineStatus, namespace: props.namespace, labels },
      schedule: Cron.daily(),
      suspend: true,
      backoffLimit: 0,
      activeDeadline: Duration.minutes(2),
      ttlAfterFinished: Duration.hours(1),
      restartPolicy: kplus.RestartPolicy.NEVER,
      automountServiceAccountToken: false,
      securityContext: { ensureNonRoot: true, user: STATUS_UID, group: STATUS_UID },
      podMetadata: { labels: { ...this.selectorLabels, ...labels } },
    });
    const container = this.cronJob.addContainer({
      name: DLSTREAMER_NAMES.pipelineStatus,
      image: props.image,
      imagePullPolicy: kplus.ImagePullPolicy.IF_NOT_PRESENT,
      command: ["/bin/sh", "/scripts/pipeline-status.sh"],
      envVariables: {
        PIPELINE_SERVICE: kplus.EnvValue.fromValue(props.serviceFqdn),
        PIPELINE_PORT: kplus.EnvValue.fromValue(String(props.port)),
      },
      resources: toContainerResources({ cpu: { request: "10m", limit: "200m" }, memory: { request: "16Mi", limit: "64Mi" } }),
      securityContext: restrictedContainer(STATUS_UID),
    });
    script.mount(container, "/scripts");
  }
}
