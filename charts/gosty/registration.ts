/**
 * What the Gosty chart tells the deploying program (its registry entry,
 * charts/registry.ts): the RabbitMQ, MongoDB and (with logging) Elasticsearch
 * credentials Secrets.
 */
import type { ChartRegistration } from "../chart-entry";
import { gostyRequiredSecrets } from "./values";

export const GOSTY_REGISTRATION: ChartRegistration = {
  secrets: (values) => gostyRequiredSecrets(values.gosty),
};
