/**
 * The pipeline definitions the DL Streamer Pipeline Server loads
 * (`/home/pipeline-server/config.json`) and the model they need. Pure data:
 * the chart mounts the JSON from a ConfigMap; an init container fetches the
 * model (charts/dlstreamer/fetch-model.sh), since the image ships none.
 *
 * The seed's sample request targets a person/vehicle/bike detection
 * pipeline; current pipeline server releases name user-defined pipelines
 * `/pipelines/user_defined_pipelines/<name>`, so the same request goes to
 * `/pipelines/user_defined_pipelines/person_vehicle_bike`.
 */

/** Where the pipeline server's home directory and models live in the image. */
export const PIPELINE_SERVER_HOME = "/home/pipeline-server";
export const MODEL_DIR = `${PIPELINE_SERVER_HOME}/models`;

/** An Open Model Zoo model in OpenVINO IR form, fetched at pod start. */
export interface ModelSource {
  readonly baseUrl: string;
  readonly name: string;
  readonly precision: "FP32" | "FP16" | "FP16-INT8";
}

/**
 * Open Model Zoo's person/vehicle/bike detector, the seed sample's model.
 * FP16 weights: half the download, and OpenVINO runs them on CPU as well.
 */
export const PERSON_VEHICLE_BIKE_MODEL: ModelSource = {
  baseUrl: "https://storage.openvinotoolkit.org/repositories/open_model_zoo/2022.3/models_bin/1",
  name: "person-vehicle-bike-detection-2004",
  precision: "FP16",
};

/** Name of the sample pipeline in the REST API. */
export const SAMPLE_PIPELINE = "person_vehicle_bike";

/** Path of a model's .xml inside the pod. */
export function modelXmlPath(model: ModelSource): string {
  return `${MODEL_DIR}/${model.name}/${model.precision}/${model.name}.xml`;
}

/** config.json of the pipeline server: one detection pipeline whose results go wherever the request's destination says. */
export function renderPipelineServerConfig(model: ModelSource = PERSON_VEHICLE_BIKE_MODEL): string {
  const pipeline = [
    // The request's "source" picks the real source element (uri, file, rtsp, ...).
    "{auto_source} name=source",
    "decodebin3",
    `gvadetect model=${modelXmlPath(model)} name=detection`,
    "queue",
    "gvametaconvert add-empty-results=true name=metaconvert",
    // The request's "destination.metadata" (e.g. type mqtt) configures this element.
    "gvametapublish name=destination",
    "appsink name=appsink",
  ].join(" ! ");
  const config = {
    config: {
      logging: { C_LOG_LEVEL: "INFO", PY_LOG_LEVEL: "INFO" },
      pipelines: [
        {
          name: SAMPLE_PIPELINE,
          source: "gstreamer",
          queue_maxsize: 50,
          pipeline,
          parameters: {
            type: "object",
            properties: {
              // Lets a request set any gvadetect property (device, threshold, ie-config, ...).
              "detection-properties": { element: { name: "detection", format: "element-properties" } },
            },
          },
          auto_start: false,
        },
      ],
    },
  };
  return `${JSON.stringify(config, null, 2)}\n`;
}
