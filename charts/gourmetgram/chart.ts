import { Chart, Duration, Size } from "cdk8s";
import * as kplus from "cdk8s-plus-28";
import { Construct } from "constructs";
import { AppNamespace } from "../../constructs/app-namespace";
import { Peer } from "../../constructs/caller-policy";
import { Microservice } from "../../constructs/microservice";
import { NodePortService } from "../../constructs/node-port-service";
import { TlsIngress } from "../../constructs/tls-ingress";
import { ingressIssuer } from "../tls";
import type { PlatformValues } from "../values";
import { toContainerResources } from "../../constructs/resources";
import { GOURMETGRAM_CONTRACT } from "./image-contracts";
import { GOURMETGRAM_NAMESPACE, GOURMETGRAM_PORT } from "./values";

/** Pod labels of the load test Job (load-test-job.yaml), which calls the Service from inside the cluster. */
export const GOURMETGRAM_LOAD_TEST_LABELS = { "app.kubernetes.io/name": "gourmetgram-load-test" } as const;

/** Props of {@link GourmetgramChart}. Plain data only. */
export interface GourmetgramChartProps {
  readonly values: PlatformValues;
}

/** Name of the Deployment, Service, HPA and Ingress. */
export const GOURMETGRAM_NAME = "gourmetgram";

/**
 * GourmetGram: a web app that classifies food photos. `/test` runs a real
 * prediction on an image shipped in the image, so it is the readiness check:
 * a pod takes traffic only once the model answers. The HPA keeps 2 to 6
 * replicas at 50% of the CPU request.
 */
export class GourmetgramChart extends Chart {
  readonly app: Microservice;
  readonly ingress: TlsIngress;
  readonly nodePortService?: NodePortService;

  constructor(scope: Construct, id: string, props: GourmetgramChartProps) {
    super(scope, id, { disableResourceNameHashes: true });
    const ns = GOURMETGRAM_NAMESPACE;
    const { global, gourmetgram: v } = props.values;
    const partOf = "gourmetgram";

    new AppNamespace(this, "Namespace", { name: ns, labels: { "app.kubernetes.io/part-of": partOf } });

    this.app = new Microservice(this, "App", {
      name: GOURMETGRAM_NAME,
      namespace: ns,
      partOf,
      image: v.image,
      port: GOURMETGRAM_PORT,
      servicePort: 80,
      // Browsers come through the ingress controller (the TlsIngress admits it)
      // or the optional node port (the NodePortService admits any source).
      callers: [{ peer: Peer.pods(GOURMETGRAM_LOAD_TEST_LABELS), ports: [GOURMETGRAM_PORT] }],
      livenessPath: "/",
      // The seed's exact readiness rule: three consecutive good predictions,
      // checked every 5 s starting 5 s after the container starts. /test runs
      // the model, so it gets a timeout longer than a plain health check.
      probes: {
        readiness: kplus.Probe.fromHttpGet("/test", {
          port: GOURMETGRAM_PORT,
          initialDelaySeconds: Duration.seconds(5),
          periodSeconds: Duration.seconds(5),
          timeoutSeconds: Duration.seconds(4),
          successThreshold: 3,
          failureThreshold: 3,
        }),
      },
      // Loading the classifier takes a while on a 0.5 CPU limit.
      startupSeconds: 120,
      resources: v.resources,
      autoscaling: v.autoscaling,
      // The Service and the ingress drop the pod before it gets SIGTERM.
      shutdown: { terminationGracePeriodSeconds: 30, preStopSleepSeconds: 5 },
    });

    this.addUploadsVolume(v.image);

    this.ingress = new TlsIngress(this, "Ingress", {
      name: GOURMETGRAM_NAME,
      namespace: ns,
      host: v.host,
      service: this.app.service!,
      ingressClassName: global.ingressClass,
      issuer: ingressIssuer(global),
      // Food photos are uploaded through the ingress; the controller's 1m default is too small.
      annotations: { "nginx.org/client-max-body-size": "10m" },
    });

    if (v.nodePort !== undefined) {
      this.nodePortService = new NodePortService(this, "NodePort", {
        name: `${GOURMETGRAM_NAME}-nodeport`,
        namespace: ns,
        selector: this.app.selectorLabels,
        labels: { "app.kubernetes.io/part-of": partOf },
        ports: [{ name: "http", port: 80, targetPort: GOURMETGRAM_PORT, nodePort: v.nodePort }],
      });
    }
  }

  /**
   * POST /predict saves each photo under /app/instance/uploads, which is on
   * the read-only root; /test reads the sample photo shipped in that same
   * directory. A scratch volume takes its place, seeded from the image by an
   * init container of the same image, so both keep working.
   */
  private addUploadsVolume(image: string): void {
    const uploads = GOURMETGRAM_CONTRACT.writes[0].path;
    const volume = kplus.Volume.fromEmptyDir(this, "Uploads", "uploads", { sizeLimit: Size.mebibytes(256) });
    const deployment = this.app.deployment;
    const seed = deployment.addInitContainer({
      name: "seed-uploads",
      image,
      imagePullPolicy: kplus.ImagePullPolicy.IF_NOT_PRESENT,
      command: ["cp", "-R", `${uploads}/.`, "/seed/"],
      resources: toContainerResources({ cpu: { request: "10m", limit: "100m" }, memory: { request: "16Mi", limit: "64Mi" } }),
      // The app container's restricted settings (Microservice's default UID).
      securityContext: {
        ensureNonRoot: true,
        user: 10001,
        group: 10001,
        readOnlyRootFilesystem: true,
        allowPrivilegeEscalation: false,
        privileged: false,
        capabilities: { drop: [kplus.Capability.ALL] },
        seccompProfile: { type: kplus.SeccompProfileType.RUNTIME_DEFAULT },
      },
    });
    seed.mount("/seed", volume);
    deployment.containers[0].mount(uploads, volume);
  }
}
