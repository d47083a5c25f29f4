import { Chart } from "cdk8s";
import * as kplus from "cdk8s-plus-28";
import { Construct } from "constructs";
import { AppNamespace } from "../../constructs/app-namespace";
import { parseImageRef } from "../../constructs/image";
import { Microservice } from "../../constructs/microservice";
import { TlsIngress } from "../../constructs/tls-ingress";
import { ingressIssuer } from "../tls";
import type { PlatformValues } from "../values";
import {
  OBJECT_DETECTION_CONFIGMAP,
  ObjectDetectionAwsConfig,
  objectDetectionConfigData,
  PLACEHOLDER_AWS_CONFIG,
} from "./aws-config";
import { OBJECT_DETECTION_NAMESPACE } from "./values";

/** Props of {@link ObjectDetectionChart}. Plain data only. */
export interface ObjectDetectionChartProps {
  readonly values: PlatformValues;
  /**
   * Queue URLs, topic ARN, bucket and table names, region and built images, as
   * Pulumi created them (the chart's deploy context).
   * @default PLACEHOLDER_AWS_CONFIG (clearly named `SET-BY-PULUMI-...` values)
   */
  readonly aws?: ObjectDetectionAwsConfig;
}

/** Path Telegram posts updates to; polybot registers `https://<host>/telegram/webhook`. */
export const TELEGRAM_WEBHOOK_PATH = "/telegram/webhook";

/**
 * The object-detection service: polybot (Telegram bot behind the TLS Ingress)
 * sends jobs to an SQS queue; yolo5 consumes them, autoscaled on CPU, and
 * publishes a prediction event per result to SNS; metering and model-analyzer
 * each consume their own queue subscribed to that topic (event sourcing).
 */
export class ObjectDetectionChart extends Chart {
  readonly polybot: Microservice;
  readonly yolo5: Microservice;
  readonly metering: Microservice;
  readonly modelAnalyzer: Microservice;
  readonly ingress: TlsIngress;

  constructor(scope: Construct, id: string, props: ObjectDetectionChartProps) {
    super(scope, id, { disableResourceNameHashes: true });
    const ns = OBJECT_DETECTION_NAMESPACE;
    const { global, objectDetection: v } = props.values;
    const partOf = PART_OF;

    new AppNamespace(this, "Namespace", { name: ns, labels: { "app.kubernetes.io/part-of": partOf } });

    const aws = props.aws ?? PLACEHOLDER_AWS_CONFIG;
    new kplus.ConfigMap(this, "AwsConfig", {
      metadata: { name: OBJECT_DETECTION_CONFIGMAP, namespace: ns, labels: { "app.kubernetes.io/part-of": partOf } },
      data: objectDetectionConfigData(aws),
    });
    const envFromConfigMaps = [OBJECT_DETECTION_CONFIGMAP];
    // Images Pulumi built for this deployment win over the values' references.
    const image = (service: string, fromValues: string) => aws.images?.[service] ?? fromValues;

    this.polybot = this.createPolybot(props.values, image("polybot", v.polybot.image), envFromConfigMaps, aws.roleArns?.polybot);
    this.ingress = new TlsIngress(this, "Ingress", {
      name: "polybot",
      namespace: ns,
      host: v.polybot.host,
      path: TELEGRAM_WEBHOOK_PATH,
      service: this.polybot.service as kplus.Service,
      ingressClassName: global.ingressClass,
      issuer: ingressIssuer(global),
    });
    if (selfSigned(global)) this.mountWebhookCertificate(this.ingress.tlsSecretName);

    this.yolo5 = new Microservice(this, "Yolo5", {
      name: "yolo5",
      awsRoleArn: aws.roleArns?.yolo5,
      namespace: ns,
      partOf,
      image: image("yolo5", v.yolo5.image),
      // A pure queue consumer: nothing calls it, so no Service and no caller
      // (Prometheus, for the metrics, is admitted by `metrics`).
      expose: false,
      callers: [],
      resources: v.yolo5.resources,
      autoscaling: v.yolo5.autoscaling,
      metrics: {},
      // Loading the model takes a while on a small node.
      startupSeconds: 180,
      envFromConfigMaps,
      env: {
        // model-analyzer groups results by the model that produced them.
        MODEL_VERSION: modelVersion(image("yolo5", v.yolo5.image)),
      },
      // Long enough to finish the prediction in hand; the jobs queue's
      // visibility timeout is longer still, so an unfinished job is retried.
      shutdown: { terminationGracePeriodSeconds: 60 },
    });

    const consumer = (id: string, name: string, c: PlatformValues["objectDetection"]["metering"]) =>
      new Microservice(this, id, {
        name,
        awsRoleArn: aws.roleArns?.[name],
        namespace: ns,
        partOf,
        image: image(name, c.image),
        replicas: c.replicas,
        resources: c.resources,
        // Queue consumers: only Prometheus (admitted by `metrics`) calls them.
        callers: [],
        metrics: {},
        envFromConfigMaps,
        shutdown: { terminationGracePeriodSeconds: 30 },
      });
    this.metering = consumer("Metering", "metering", v.metering);
    this.modelAnalyzer = consumer("ModelAnalyzer", "model-analyzer", v.modelAnalyzer);
  }

  /** The Telegram bot: webhook behind the Ingress, token and webhook secret from the Telegram Secret. */
  private createPolybot(values: PlatformValues, image: string, envFromConfigMaps: string[], awsRoleArn: string | undefined): Microservice {
    const v = values.objectDetection.polybot;
    return new Microservice(this, "Polybot", {
      name: "polybot",
      awsRoleArn,
      namespace: OBJECT_DETECTION_NAMESPACE,
      partOf: PART_OF,
      image,
      replicas: v.replicas,
      resources: v.resources,
      // Telegram's webhook calls arrive through the ingress controller (admitted by
      // the TlsIngress); jobs go to SQS, not to another pod.
      callers: [],
      metrics: {},
      envFromConfigMaps,
      env: {
        TELEGRAM_APP_URL: `https://${v.host}`,
        TELEGRAM_WEBHOOK_PATH,
        // Telegram trusts a self-signed certificate only when setWebhook uploads it.
        ...(selfSigned(values.global) ? { TELEGRAM_CERTIFICATE_FILE: `${WEBHOOK_CERT_DIR}/tls.crt` } : {}),
      },
      envFromSecrets: {
        TELEGRAM_TOKEN: { secretName: v.telegramSecret.name, key: v.telegramSecret.tokenKey },
        TELEGRAM_WEBHOOK_SECRET: { secretName: v.telegramSecret.name, key: v.telegramSecret.webhookSecretKey },
      },
      // Ingress endpoints drop the pod before SIGTERM reaches it: no webhook call is lost.
      shutdown: { terminationGracePeriodSeconds: 30, preStopSleepSeconds: 5 },
    });
  }

  /**
   * Only the public certificate of the Ingress's Secret (never its key), read-only,
   * for polybot to upload with setWebhook.
   */
  private mountWebhookCertificate(secretName: string): void {
    const secret = kplus.Secret.fromSecretName(this, "WebhookCertSecret", secretName);
    const volume = kplus.Volume.fromSecret(this, "WebhookCert", secret, { name: "webhook-cert", items: { "tls.crt": { path: "tls.crt" } } });
    this.polybot.deployment.containers[0].mount(WEBHOOK_CERT_DIR, volume, { readOnly: true });
  }
}

/** Where polybot finds the self-signed issuer's certificate of its Ingress. */
export const WEBHOOK_CERT_DIR = "/etc/polybot/webhook-cert";

const PART_OF = "object-detection";

/** Whether the Ingress certificate is the platform's self-signed one (Telegram must be sent it). */
function selfSigned(global: PlatformValues["global"]): boolean {
  return global.tls.issuer !== "acme";
}

/** The image tag (or digest) identifies the model build. */
function modelVersion(image: string): string {
  const ref = parseImageRef(image);
  return ref?.tag ?? ref?.digest ?? image;
}
