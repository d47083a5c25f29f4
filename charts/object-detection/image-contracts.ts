/**
 * What the object-detection images do, read from their own Dockerfiles and
 * sources in this repository (apps/object-detection/<service>/Dockerfile,
 * apps/object-detection/lib, apps/object-detection/<service>/src/main.ts).
 * See charts/image-contract.ts.
 */
import type { ImageContract, ImageEnvVar } from "../image-contract";

const APPS = "apps/object-detection";
const HTTP = `${APPS}/lib/http.ts: /healthz (the process answers), /ready and /readyz (dependencies reachable, not shutting down), /metrics`;
/** Set by the chart through envFrom (ConfigMap object-detection-aws), which the check does not see: listed, not required. */
const fromAwsConfig = (service: string, names: readonly string[]): ImageEnvVar[] =>
  names.map((name) => ({ name, purpose: "AWS resource or region, from the object-detection-aws ConfigMap", source: `${APPS}/${service}/src/main.ts` }));

/** The contract every service image shares; each service adds its own environment. */
function serviceContract(service: string, env: readonly ImageEnvVar[]): ImageContract {
  const dockerfile = `${APPS}/${service}/Dockerfile`;
  return {
    name: `object-detection-${service}`,
    upstream: `this repository, ${APPS}/${service} (image built from ${dockerfile})`,
    user: { uid: 10001, source: `${dockerfile}: USER 10001:10001` },
    entrypoint: { argv: ["node", `dist/${service}/src/main.js`], passesArgs: "fixed", source: `${dockerfile}: WORKDIR /app, ENTRYPOINT ["node", "dist/${service}/src/main.js"]` },
    ports: [{ port: 8080, serves: "HTTP: health, readiness, metrics and the service's routes", source: `${dockerfile}: EXPOSE 8080; ${APPS}/lib/config.ts PORT default 8080` }],
    health: [
      { port: 8080, path: "/healthz", source: HTTP },
      { port: 8080, path: "/ready", source: HTTP },
      { port: 8080, path: "/readyz", source: HTTP },
    ],
    // Nothing under the root: state lives in AWS (SQS, DynamoDB, S3); /tmp comes with the chart.
    writes: [],
    commands: [],
    env: [
      { name: "PORT", purpose: "HTTP port (default 8080)", source: `${APPS}/lib/config.ts` },
      { name: "SHUTDOWN_TIMEOUT_SECONDS", purpose: "drain time after SIGTERM", source: `${APPS}/lib/config.ts` },
      ...env,
    ],
  };
}

export const POLYBOT_CONTRACT = serviceContract("polybot", [
  { name: "TELEGRAM_TOKEN", purpose: "bot token", required: true, source: `${APPS}/polybot/src/main.ts env.string("TELEGRAM_TOKEN")` },
  { name: "TELEGRAM_WEBHOOK_SECRET", purpose: "webhook secret_token", required: true, source: `${APPS}/polybot/src/main.ts` },
  { name: "TELEGRAM_APP_URL", purpose: "public URL of the webhook", required: true, source: `${APPS}/polybot/src/main.ts env.url("TELEGRAM_APP_URL")` },
  { name: "TELEGRAM_WEBHOOK_PATH", purpose: "webhook path (default /telegram/webhook)", source: `${APPS}/polybot/src/main.ts` },
  { name: "TELEGRAM_CERTIFICATE_FILE", purpose: "self-signed certificate sent to Telegram (optional)", source: `${APPS}/polybot/src/main.ts` },
  ...fromAwsConfig("polybot", ["AWS_REGION", "JOBS_QUEUE_URL", "POLYBOT_QUEUE_URL", "IMAGES_BUCKET"]),
]);

export const YOLO5_CONTRACT = serviceContract("yolo5", [
  { name: "MODEL_VERSION", purpose: "model version reported with each prediction", required: true, source: `${APPS}/yolo5/src/main.ts env.string("MODEL_VERSION")` },
  { name: "MODEL_PATH", purpose: "ONNX model (default /app/model/yolov5s.onnx, baked into the image)", source: `${APPS}/yolo5/Dockerfile ENV MODEL_PATH; src/main.ts` },
  ...fromAwsConfig("yolo5", ["AWS_REGION"]),
]);

export const METERING_CONTRACT = serviceContract("metering", fromAwsConfig("metering", ["AWS_REGION", "METERING_QUEUE_URL", "METERING_TABLE"]));

export const MODEL_ANALYZER_CONTRACT = serviceContract(
  "model-analyzer",
  fromAwsConfig("model-analyzer", ["AWS_REGION", "MODEL_ANALYZER_QUEUE_URL", "MODEL_ANALYZER_TABLE"]),
);

/** The contract of each object-detection container, by container name. */
export const OBJECT_DETECTION_IMAGE_CONTRACTS: Readonly<Record<string, ImageContract>> = {
  polybot: POLYBOT_CONTRACT,
  yolo5: YOLO5_CONTRACT,
  metering: METERING_CONTRACT,
  "model-analyzer": MODEL_ANALYZER_CONTRACT,
};
