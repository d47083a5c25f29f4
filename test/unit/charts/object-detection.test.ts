import { Testing } from "cdk8s";
import { ObjectDetectionChart, TELEGRAM_WEBHOOK_PATH, WEBHOOK_CERT_DIR } from "../../../charts/object-detection/chart";
import { OBJECT_DETECTION_CONFIGMAP, PLACEHOLDER_AWS_CONFIG } from "../../../charts/object-detection/aws-config";
import { defaultValues, parseValues } from "../../../charts/values";
import { assertChartInvariants } from "./invariants";

type Obj = Record<string, any>; // eslint-disable-line @typescript-eslint/no-explicit-any

function synth(raw: unknown = {}, aws?: ConstructorParameters<typeof ObjectDetectionChart>[2]["aws"]): Obj[] {
  const chart = new ObjectDetectionChart(Testing.app(), "od", { values: parseValues(raw), aws });
  return Testing.synth(chart) as Obj[];
}

const one = (objs: Obj[], kind: string, name: string): Obj => {
  const found = objs.filter((o) => o.kind === kind && o.metadata.name === name);
  expect(found).toHaveLength(1);
  return found[0];
};
const deployment = (objs: Obj[], name: string) => one(objs, "Deployment", name);
const container = (objs: Obj[], name: string) => deployment(objs, name).spec.template.spec.containers[0];

describe("ObjectDetectionChart", () => {
  const objs = synth();

  test("follows the chart invariants", () => {
    assertChartInvariants(objs);
  });

  test("puts everything in its own namespace with restricted Pod Security", () => {
    const ns = one(objs, "Namespace", "object-detection");
    expect(ns.metadata.labels["pod-security.kubernetes.io/enforce"]).toBe("restricted");
    for (const o of objs.filter((x) => x.kind !== "Namespace")) expect(o.metadata.namespace).toBe("object-detection");
  });

  test("runs the four services, each with its own ServiceAccount without a token", () => {
    for (const name of ["polybot", "yolo5", "metering", "model-analyzer"]) {
      const pod = deployment(objs, name).spec.template.spec;
      expect(pod.serviceAccountName).toBe(name);
      expect(pod.automountServiceAccountToken).toBe(false);
      expect(one(objs, "ServiceAccount", name).automountServiceAccountToken).toBe(false);
    }
  });

  test("probes dedicated health endpoints", () => {
    for (const name of ["polybot", "yolo5", "metering", "model-analyzer"]) {
      const c = container(objs, name);
      expect(c.readinessProbe.httpGet.path).toBe("/ready");
      expect(c.livenessProbe.httpGet.path).toBe("/healthz");
    }
  });

  test("polybot is reached through a TLS Ingress on the configured host, with the webhook path only", () => {
    const o = synth({ objectDetection: { polybot: { host: "bot.example.org" } } });
    const ing = one(o, "Ingress", "polybot");
    expect(ing.spec.ingressClassName).toBe("nginx");
    expect(ing.spec.rules).toEqual([
      {
        host: "bot.example.org",
        http: { paths: [{ path: TELEGRAM_WEBHOOK_PATH, pathType: "Prefix", backend: { service: { name: "polybot", port: { number: 80 } } } }] },
      },
    ]);
    expect(ing.spec.tls).toEqual([{ hosts: ["bot.example.org"], secretName: "polybot-tls" }]);
    const cert = one(o, "Certificate", "polybot");
    expect(cert.spec).toMatchObject({
      secretName: "polybot-tls",
      commonName: "bot.example.org",
      dnsNames: ["bot.example.org"],
      issuerRef: { kind: "ClusterIssuer", name: "platform-selfsigned" },
    });
    expect(container(o, "polybot").env).toContainEqual({ name: "TELEGRAM_APP_URL", value: "https://bot.example.org" });
  });

  test("the ACME issuer is used when chosen", () => {
    const o = synth({ global: { tls: { issuer: "acme", acmeEmail: "ops@example.org" } } });
    expect(one(o, "Certificate", "polybot").spec.issuerRef.name).toBe("platform-acme");
  });

  test("the bot token and webhook secret come from a Secret reference, not a value", () => {
    const o = synth({ objectDetection: { polybot: { telegramSecret: { name: "my-bot", tokenKey: "bot-token" } } } });
    const env: Obj[] = container(o, "polybot").env;
    expect(env).toContainEqual({ name: "TELEGRAM_TOKEN", valueFrom: { secretKeyRef: { name: "my-bot", key: "bot-token" } } });
    expect(env).toContainEqual({ name: "TELEGRAM_WEBHOOK_SECRET", valueFrom: { secretKeyRef: { name: "my-bot", key: "webhook-secret" } } });
    expect(o.filter((x) => x.kind === "Secret")).toEqual([]);
  });

  test("yolo5 is autoscaled on CPU within the configured bounds and has no fixed replica count", () => {
    const o = synth({ objectDetection: { yolo5: { autoscaling: { minReplicas: 2, maxReplicas: 7, cpuUtilization: 55 } } } });
    const hpa = one(o, "HorizontalPodAutoscaler", "yolo5");
    expect(hpa.spec).toMatchObject({ minReplicas: 2, maxReplicas: 7, scaleTargetRef: { kind: "Deployment", name: "yolo5" } });
    expect(hpa.spec.metrics).toEqual([
      { type: "Resource", resource: { name: "cpu", target: { type: "Utilization", averageUtilization: 55 } } },
    ]);
    expect(deployment(o, "yolo5").spec.replicas).toBeUndefined();
    expect(container(o, "yolo5").resources.requests.cpu).toBe("500m");
    expect(o.filter((x) => x.kind === "Service" && x.metadata.name === "yolo5")).toEqual([]);
  });

  test("yolo5 stamps events with the model version taken from its image tag", () => {
    const o = synth({ objectDetection: { yolo5: { image: "registry.example.com/ml/yolo5:v7.0.3" } } });
    expect(container(o, "yolo5").env).toContainEqual({ name: "MODEL_VERSION", value: "v7.0.3" });
  });

  test("every service reads the queue coordinates from the ConfigMap; synth uses named placeholders", () => {
    const cm = one(objs, "ConfigMap", OBJECT_DETECTION_CONFIGMAP);
    expect(cm.data).toMatchObject({
      JOBS_QUEUE_URL: PLACEHOLDER_AWS_CONFIG.jobsQueueUrl,
      PREDICTION_EVENTS_TOPIC_ARN: "SET-BY-PULUMI-prediction-events-topic-arn",
      METERING_QUEUE_URL: "SET-BY-PULUMI-metering-queue-url",
      MODEL_ANALYZER_QUEUE_URL: "SET-BY-PULUMI-model-analyzer-queue-url",
      AWS_REGION: "SET-BY-PULUMI-region",
    });
    for (const name of ["polybot", "yolo5", "metering", "model-analyzer"]) {
      expect(container(objs, name).envFrom).toEqual([{ configMapRef: { name: OBJECT_DETECTION_CONFIGMAP } }]);
    }
  });

  test("Pulumi's real queue coordinates replace the placeholders", () => {
    const o = synth({}, {
      region: "eu-west-1",
      jobsQueueUrl: "https://sqs.eu-west-1.amazonaws.com/123456789012/jobs",
      predictionEventsTopicArn: "arn:aws:sns:eu-west-1:123456789012:events",
      meteringQueueUrl: "https://sqs.eu-west-1.amazonaws.com/123456789012/metering",
      modelAnalyzerQueueUrl: "https://sqs.eu-west-1.amazonaws.com/123456789012/model-analyzer",
      polybotQueueUrl: "https://sqs.eu-west-1.amazonaws.com/123456789012/polybot",
      imagesBucket: "demo-od-images-20260101",
      meteringTable: "demo-od-metering",
      modelAnalyzerTable: "demo-od-model-analyzer",
    });
    const text = JSON.stringify(o);
    expect(text).not.toContain("SET-BY-PULUMI");
    const data = one(o, "ConfigMap", OBJECT_DETECTION_CONFIGMAP).data;
    expect(data.METERING_QUEUE_URL).toBe("https://sqs.eu-west-1.amazonaws.com/123456789012/metering");
    expect(data).toMatchObject({
      POLYBOT_QUEUE_URL: "https://sqs.eu-west-1.amazonaws.com/123456789012/polybot",
      IMAGES_BUCKET: "demo-od-images-20260101",
      METERING_TABLE: "demo-od-metering",
      MODEL_ANALYZER_TABLE: "demo-od-model-analyzer",
    });
  });

  test("the ConfigMap names the images bucket, polybot's event queue and both tables; yolo5 has no unused polybot URL", () => {
    expect(one(objs, "ConfigMap", OBJECT_DETECTION_CONFIGMAP).data).toMatchObject({
      POLYBOT_QUEUE_URL: "SET-BY-PULUMI-polybot-queue-url",
      IMAGES_BUCKET: "SET-BY-PULUMI-images-bucket",
      METERING_TABLE: "SET-BY-PULUMI-metering-table",
      MODEL_ANALYZER_TABLE: "SET-BY-PULUMI-model-analyzer-table",
    });
    expect((container(objs, "yolo5").env as Obj[]).map((e) => e.name)).not.toContain("POLYBOT_URL");
  });

  test("with the self-signed issuer, polybot reads only the Ingress certificate (read-only) to upload with setWebhook", () => {
    const c = container(objs, "polybot");
    expect(c.env).toContainEqual({ name: "TELEGRAM_CERTIFICATE_FILE", value: `${WEBHOOK_CERT_DIR}/tls.crt` });
    expect(c.volumeMounts).toContainEqual({ name: "webhook-cert", mountPath: WEBHOOK_CERT_DIR, readOnly: true });
    const volume = (deployment(objs, "polybot").spec.template.spec.volumes as Obj[]).find((v) => v.name === "webhook-cert")!;
    // The certificate only: tls.key never reaches the pod.
    expect(volume.secret).toEqual({ secretName: one(objs, "Ingress", "polybot").spec.tls[0].secretName, items: [{ key: "tls.crt", path: "tls.crt" }] });
  });

  test("with ACME, polybot neither mounts the certificate nor uploads one", () => {
    const o = synth({ global: { tls: { issuer: "acme", acmeEmail: "ops@example.org" } } });
    const c = container(o, "polybot");
    expect((c.env as Obj[]).map((e) => e.name)).not.toContain("TELEGRAM_CERTIFICATE_FILE");
    expect(JSON.stringify(deployment(o, "polybot"))).not.toContain("webhook-cert");
  });

  test("images Pulumi built replace the values' images; yolo5's model version is the built tag", () => {
    const ref = (s: string) => `123456789012.dkr.ecr.eu-west-1.amazonaws.com/demo/object-detection/${s}:src-0123456789abcdef@sha256:${"a".repeat(64)}`;
    const images = Object.fromEntries(["polybot", "yolo5", "metering", "model-analyzer"].map((s) => [s, ref(s)]));
    const o = synth({}, { ...PLACEHOLDER_AWS_CONFIG, images });
    for (const name of ["polybot", "yolo5", "metering", "model-analyzer"]) expect(container(o, name).image).toBe(ref(name));
    expect(container(o, "yolo5").env).toContainEqual({ name: "MODEL_VERSION", value: "src-0123456789abcdef" });
    // Not in the ConfigMap: the pods need no image references.
    expect(JSON.stringify(one(o, "ConfigMap", OBJECT_DETECTION_CONFIGMAP))).not.toContain("dkr.ecr");
  });

  test("services shut down gracefully; polybot leaves the endpoints before SIGTERM", () => {
    expect(deployment(objs, "yolo5").spec.template.spec.terminationGracePeriodSeconds).toBe(60);
    expect(container(objs, "polybot").lifecycle).toEqual({ preStop: { sleep: { seconds: 5 } } });
    for (const name of ["metering", "model-analyzer"]) {
      expect(deployment(objs, name).spec.template.spec.terminationGracePeriodSeconds).toBe(30);
    }
  });

  test("containers run as non-root with a read-only root filesystem and pinned images", () => {
    for (const name of ["polybot", "yolo5", "metering", "model-analyzer"]) {
      const c = container(objs, name);
      expect(c.securityContext).toMatchObject({ runAsNonRoot: true, readOnlyRootFilesystem: true, allowPrivilegeEscalation: false });
      expect(c.imagePullPolicy).toBe("IfNotPresent");
      expect(c.image).toMatch(/:[0-9]+\.[0-9]+\.[0-9]+$/);
    }
  });

  test("the values' replica counts, resources and image registry reach the Deployments", () => {
    const o = synth({
      global: { imageRegistry: "123456789012.dkr.ecr.eu-west-1.amazonaws.com" },
      objectDetection: {
        polybot: { replicas: 3, image: "team/polybot:2.0.0" },
        metering: { replicas: 2, resources: { cpu: { request: "50m", limit: "200m" } } },
      },
    });
    expect(deployment(o, "polybot").spec.replicas).toBe(3);
    expect(container(o, "polybot").image).toBe("123456789012.dkr.ecr.eu-west-1.amazonaws.com/team/polybot:2.0.0");
    expect(deployment(o, "metering").spec.replicas).toBe(2);
    expect(container(o, "metering").resources).toEqual({ requests: { cpu: "50m", memory: "128Mi" }, limits: { cpu: "200m", memory: "256Mi" } });
    one(o, "PodDisruptionBudget", "metering");
    expect(o.filter((x) => x.kind === "PodDisruptionBudget" && x.metadata.name === "model-analyzer")).toEqual([]);
  });

  test("metrics are announced to Prometheus", () => {
    const ann = deployment(objs, "metering").spec.template.metadata.annotations;
    expect(ann).toEqual({ "prometheus.io/scrape": "true", "prometheus.io/port": "8080", "prometheus.io/path": "/metrics" });
  });

  test("defaultValues() builds the same chart as an empty values file", () => {
    const a = Testing.synth(new ObjectDetectionChart(Testing.app(), "od", { values: defaultValues() }));
    expect(a).toEqual(objs);
  });
});
