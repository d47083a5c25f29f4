/**
 * Values of the GourmetGram food-image classifier (`gourmetgram:` in a values file).
 */
import { NODE_PORT_MAX, NODE_PORT_MIN } from "../../constructs/node-port-service";
import { ResourceSpec } from "../../constructs/resources";
import { Validator } from "../../lib/validate";
import type { GlobalValues } from "../global-values";
import { AutoscalingValues, readAutoscaling, readHost, readImage, readResources } from "../values-common";

/** Namespace of every object of the application. */
export const GOURMETGRAM_NAMESPACE = "gourmetgram";

/**
 * Default image. The seed builds the app (a Flask server on port 8000) from
 * its repository and pushes it to a registry of its own; this reference is a
 * clearly named stand-in: set `gourmetgram.image` (or `global.imageRegistry`).
 */
export const DEFAULT_GOURMETGRAM_IMAGE = "registry.example.com/gourmetgram/gourmetgram-app:1.0.0";

/** Port the app listens on. */
export const GOURMETGRAM_PORT = 8000;

/** What the seed asks for: at least 0.3 CPU / 300Mi, at most 0.5 CPU / 500Mi. */
export const GOURMETGRAM_RESOURCES: ResourceSpec = {
  cpu: { request: "300m", limit: "500m" },
  memory: { request: "300Mi", limit: "500Mi" },
};

export const GOURMETGRAM_AUTOSCALING: AutoscalingValues = { minReplicas: 2, maxReplicas: 6, cpuUtilization: 50 };

export interface GourmetgramValues {
  readonly image: string;
  /** Host of the TLS Ingress. */
  readonly host: string;
  readonly resources: ResourceSpec;
  readonly autoscaling: AutoscalingValues;
  /** Also expose the Service on this port of every node (no ingress needed); undefined: no NodePort. */
  readonly nodePort?: number;
}

export function parseGourmetgramValues(v: Validator, global: GlobalValues): GourmetgramValues {
  v.rejectUnknownKeys(["image", "host", "resources", "autoscaling", "nodePort"]);
  return {
    image: readImage(v, "image", DEFAULT_GOURMETGRAM_IMAGE, global.imageRegistry),
    host: readHost(v, "host", `gourmetgram.${global.domain}`),
    resources: readResources(v, "resources", GOURMETGRAM_RESOURCES),
    autoscaling: readAutoscaling(v, "autoscaling", GOURMETGRAM_AUTOSCALING),
    nodePort: v.number("nodePort", undefined, { min: NODE_PORT_MIN, max: NODE_PORT_MAX }),
  };
}
