/**
 * AWS clients with the default credential provider chain (the instance role
 * today, a service-account role once pods get their own). `AWS_ENDPOINT_URL`,
 * which the SDK reads itself, points them at an emulator in tests; S3 then uses
 * path-style addressing because `<bucket>.127.0.0.1` does not resolve.
 */
import { DynamoDBClient } from "@aws-sdk/client-dynamodb";
import { S3Client } from "@aws-sdk/client-s3";
import { SNSClient } from "@aws-sdk/client-sns";
import { SQSClient } from "@aws-sdk/client-sqs";

const emulated = () => (process.env.AWS_ENDPOINT_URL ?? "") !== "";

export const sqsClient = (region: string) => new SQSClient({ region });
export const snsClient = (region: string) => new SNSClient({ region });
export const dynamoClient = (region: string) => new DynamoDBClient({ region });
export const s3Client = (region: string) => new S3Client({ region, forcePathStyle: emulated() });

/** Last path segment of a queue URL: a metrics label that does not name the account. */
export function queueName(queueUrl: string): string {
  return queueUrl.split("/").filter(Boolean).pop() ?? queueUrl;
}
