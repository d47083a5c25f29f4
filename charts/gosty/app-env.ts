import type { MicroserviceProps } from "../../constructs/microservice";
import { GOSTY_PART_OF } from "./common";
import type { GostyValues } from "./values";

/** ConfigMap with the connection settings every Gosty service reads. */
export const GOSTY_CONFIG_MAP = "gosty-config";

/** What the API server, file server and workers share. */
export type GostyAppCommonProps = Pick<MicroserviceProps, "namespace" | "partOf" | "envFromConfigMaps" | "envFromSecrets" | "imagePullSecret">;

/**
 * The settings of {@link GOSTY_CONFIG_MAP} and the datastores' credentials,
 * referenced from their Secrets, for each of Gosty's own services.
 */
export function gostyAppCommonProps(namespace: string, values: GostyValues): GostyAppCommonProps {
  const { mongodb: m, rabbitmq: r } = values;
  return {
    namespace,
    partOf: GOSTY_PART_OF,
    envFromConfigMaps: [GOSTY_CONFIG_MAP],
    envFromSecrets: {
      MONGODB_USERNAME: { secretName: m.secret.name, key: m.secret.usernameKey },
      MONGODB_PASSWORD: { secretName: m.secret.name, key: m.secret.passwordKey },
      RABBITMQ_USERNAME: { secretName: r.secret.name, key: r.secret.usernameKey },
      RABBITMQ_PASSWORD: { secretName: r.secret.name, key: r.secret.passwordKey },
    },
    imagePullSecret: values.imagePullSecret,
  };
}
