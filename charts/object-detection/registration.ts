/**
 * What the object-detection chart tells the deploying program (its registry
 * entry, charts/registry.ts): the Telegram Secret, the bot token the stack holds,
 * the webhook URL, and what it needs on AWS (queues, topic, images bucket,
 * tables, image repositories and builds, each service's access).
 */
import type { ChartAwsDeclaration, ChartRegistration, DeployContext } from "../chart-entry";
import type { PlatformValues } from "../values";
import type { ObjectDetectionAwsConfig } from "./aws-config";
import { TELEGRAM_WEBHOOK_PATH } from "./chart";
import {
  IMAGES_BUCKET,
  JOBS_QUEUE,
  METERING_QUEUE,
  METERING_TABLE,
  MODEL_ANALYZER_QUEUE,
  MODEL_ANALYZER_TABLE,
  ObjectDetectionConfig,
  objectDetectionAccess,
  objectDetectionImages,
  objectDetectionMessaging,
  objectDetectionStorage,
  parseObjectDetection,
  POLYBOT_QUEUE,
  PREDICTION_EVENTS_TOPIC,
} from "./stack-config";
import { DEFAULT_OBJECT_DETECTION_IMAGES, OBJECT_DETECTION_NAMESPACE } from "./values";

/** Stack key of the bot token: `pulumi config set --secret --path workloads.telegramBotToken <token>`. */
export const TELEGRAM_BOT_TOKEN_KEY = "telegramBotToken";

/** What polybot's ConfigMap carries, from the queues and topic Pulumi created. */
export function objectDetectionAwsConfig(deploy: DeployContext): ObjectDetectionAwsConfig {
  return {
    region: deploy.region,
    jobsQueueUrl: deploy.queueUrls[JOBS_QUEUE],
    predictionEventsTopicArn: deploy.topicArns[PREDICTION_EVENTS_TOPIC],
    meteringQueueUrl: deploy.queueUrls[METERING_QUEUE],
    modelAnalyzerQueueUrl: deploy.queueUrls[MODEL_ANALYZER_QUEUE],
    polybotQueueUrl: deploy.queueUrls[POLYBOT_QUEUE],
    imagesBucket: deploy.bucketNames?.[IMAGES_BUCKET] ?? "",
    meteringTable: deploy.tableNames?.[METERING_TABLE] ?? "",
    modelAnalyzerTable: deploy.tableNames?.[MODEL_ANALYZER_TABLE] ?? "",
    ...(deploy.images ? { images: deploy.images } : {}),
    ...(deploy.roleArns ? { roleArns: deploy.roleArns } : {}),
  };
}

/**
 * Without building, the values' images run; the built-in defaults name no real
 * registry (README "Object detection"), so a stack that keeps them gets told.
 */
export function objectDetectionWarnings(settings: ObjectDetectionConfig, values: PlatformValues): string[] {
  if (settings.build) return [];
  const v = values.objectDetection;
  const images = [v.polybot.image, v.yolo5.image, v.metering.image, v.modelAnalyzer.image];
  const placeholders = Object.values(DEFAULT_OBJECT_DETECTION_IMAGES) as string[];
  if (!images.some((i) => placeholders.includes(i))) return [];
  return [
    "objectDetection.build is false and the object-detection images are the built-in placeholders " +
      "(registry.example.com, which does not exist): its pods stay in ImagePullBackOff. Build them with " +
      "`pulumi config set --path objectDetection.build true` and objectDetection.yolov5WeightsSha256, or set " +
      "objectDetection.<service>.image to images you pushed (README \"Object detection\").",
  ];
}

const aws: ChartAwsDeclaration<ObjectDetectionConfig> = {
  configKey: "objectDetection",
  parse: parseObjectDetection,
  messaging: objectDetectionMessaging,
  storage: objectDetectionStorage,
  images: objectDetectionImages,
  access: objectDetectionAccess,
  warnings: objectDetectionWarnings,
  // The name the stack has always exported them under.
  stackOutput: { name: "objectDetectionAws", value: objectDetectionAwsConfig },
};

/** The registry entry's description of the chart (everything but id, namespace and `create`). */
export const OBJECT_DETECTION_REGISTRATION: ChartRegistration = {
  deployByDefault: true,
  secrets: (values) => {
    const t = values.objectDetection.polybot.telegramSecret;
    return [
      {
        namespace: OBJECT_DETECTION_NAMESPACE,
        name: t.name,
        keys: {
          [t.tokenKey]: { description: "the bot token from BotFather", generate: { kind: "stackSecret", key: TELEGRAM_BOT_TOKEN_KEY } },
          [t.webhookSecretKey]: {
            description: "the value Telegram echoes in X-Telegram-Bot-Api-Secret-Token",
            // Telegram accepts 1-256 of A-Z a-z 0-9 _ - as the webhook secret token.
            generate: { kind: "random", length: 48 },
          },
        },
      },
    ];
  },
  stackSecrets: [
    {
      key: TELEGRAM_BOT_TOKEN_KEY,
      pattern: /^[0-9]{5,16}:[A-Za-z0-9_-]{30,64}$/,
      allowed: "a Telegram bot token from BotFather (<digits>:<35 characters>), set with `pulumi config set --secret`",
      unsetWarning:
        "workloads.telegramBotToken is not set: polybot stays in CreateContainerConfigError until it is " +
        "(`pulumi config set --secret --path workloads.telegramBotToken <token>` then `pulumi up`).",
    },
  ],
  urls: (values) => ({ botWebhookUrl: `https://${values.objectDetection.polybot.host}${TELEGRAM_WEBHOOK_PATH}` }),
  aws,
};
