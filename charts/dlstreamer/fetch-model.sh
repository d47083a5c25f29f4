#!/bin/sh
# Downloads one Open Model Zoo model in OpenVINO IR form (.xml + .bin) into
# MODEL_DIR/<name>/<precision>/ before the pipeline server starts: the
# pipeline server image ships no models. Runs as an init container of the
# pipeline server pods (curlimages/curl image); idempotent.
#
# Environment (all required):
#   MODEL_BASE_URL   e.g. https://storage.openvinotoolkit.org/repositories/open_model_zoo/2022.3/models_bin/1
#   MODEL_NAME       e.g. person-vehicle-bike-detection-2004
#   MODEL_PRECISION  e.g. FP16
#   MODEL_DIR        directory shared with the pipeline server container
set -eu

: "${MODEL_BASE_URL:?MODEL_BASE_URL must be set}"
: "${MODEL_NAME:?MODEL_NAME must be set}"
: "${MODEL_PRECISION:?MODEL_PRECISION must be set}"
: "${MODEL_DIR:?MODEL_DIR must be set}"

target="$MODEL_DIR/$MODEL_NAME/$MODEL_PRECISION"
mkdir -p "$target"
for ext in xml bin; do
  file="$target/$MODEL_NAME.$ext"
  if [ -s "$file" ]; then
    echo "fetch-model: $file already present"
    continue
  fi
  url="$MODEL_BASE_URL/$MODEL_NAME/$MODEL_PRECISION/$MODEL_NAME.$ext"
  echo "fetch-model: downloading $url"
  # Download beside the target and rename, so a cut download never looks complete.
  curl --fail --silent --show-error --location --retry 5 --retry-connrefused --max-time 600 --output "$file.part" "$url"
  mv "$file.part" "$file"
  echo "fetch-model: wrote $file ($(wc -c <"$file") bytes)"
done
