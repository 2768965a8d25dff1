#!/usr/bin/env bash
# Build the worker and launcher images, the flex template spec, and launch / update / drain the streaming job.
# Usage: deploy/dataflow/build.sh images|template|run|update|drain   (settings from the environment, see below)
# Run from the repository root.  Needs gcloud (authenticated) and docker, or Cloud Build (USE_CLOUD_BUILD=1).
set -euo pipefail

: "${PROJECT:?set PROJECT}" "${REGION:?set REGION}" "${BUCKET:?set BUCKET (gs:// bucket for temp and templates)}"
: "${KAFKA_BOOTSTRAP:?set KAFKA_BOOTSTRAP (host:port,... reachable from the workers)}"
REPO="${REPO:-news}"
TAG="${TAG:-$(git rev-parse --short HEAD)}"
JOB_NAME="${JOB_NAME:-news-pipeline}"
SERVICE_ACCOUNT="${SERVICE_ACCOUNT:-news-dataflow@${PROJECT}.iam.gserviceaccount.com}"
SUBNETWORK="${SUBNETWORK:-}"            # regions/REGION/subnetworks/NAME: the VPC path to Kafka
MAX_WORKERS="${MAX_WORKERS:-4}"
SASL_SECRET="${SASL_SECRET:-}"          # projects/P/secrets/S: the SASL password, read by workers
SECURITY_PROTOCOL="${SECURITY_PROTOCOL:-SASL_SSL}"
SASL_MECHANISM="${SASL_MECHANISM:-SCRAM-SHA-512}"
SASL_USERNAME="${SASL_USERNAME:-news-pipeline}"

REGISTRY="${REGION}-docker.pkg.dev/${PROJECT}/${REPO}"
WORKER_IMAGE="${REGISTRY}/news-pipeline-worker:${TAG}"
LAUNCHER_IMAGE="${REGISTRY}/news-pipeline-launcher:${TAG}"
TEMPLATE="${BUCKET}/templates/news-pipeline-${TAG}.json"

build_image() {  # dockerfile image [build-arg]
  if [[ "${USE_CLOUD_BUILD:-0}" == 1 ]]; then
    gcloud builds submit --project "$PROJECT" --region "$REGION" --config /dev/stdin . <<YAML
steps:
- name: gcr.io/cloud-builders/docker
  args: [build, -f, $1, -t, $2, ${3:+--build-arg, $3,} .]
images: [$2]
YAML
  else
    docker build -f "$1" -t "$2" ${3:+--build-arg "$3"} .
    docker push "$2"
  fi
}

parameters() {
  local p="kafka_bootstrap_servers=${KAFKA_BOOTSTRAP},read_mode=stream,out_dir=${BUCKET}/news-items/"
  p+=",security_protocol=${SECURITY_PROTOCOL}"
  if [[ "$SECURITY_PROTOCOL" == SASL_* ]]; then
    p+=",sasl_mechanism=${SASL_MECHANISM},sasl_username=${SASL_USERNAME},sasl_password_secret=${SASL_SECRET:?set SASL_SECRET}"
  fi
  echo "$p"
}

run_args() {
  local args=(--project "$PROJECT" --region "$REGION" --template-file-gcs-location "$TEMPLATE"
    --service-account-email "$SERVICE_ACCOUNT" --max-workers "$MAX_WORKERS"
    --temp-location "${BUCKET}/tmp" --staging-location "${BUCKET}/staging"
    --additional-experiments use_runner_v2 --enable-streaming-engine
    --parameters "$(parameters)" --parameters "sdk_container_image=${WORKER_IMAGE}")
  [[ -n "$SUBNETWORK" ]] && args+=(--subnetwork "$SUBNETWORK" --disable-public-ips)
  printf '%s\n' "${args[@]}"
}

case "${1:-}" in
  images)
    build_image deploy/dataflow/Dockerfile.worker "$WORKER_IMAGE"
    build_image deploy/dataflow/Dockerfile.launcher "$LAUNCHER_IMAGE" "WORKER_IMAGE=${WORKER_IMAGE}"
    ;;
  template)
    gcloud dataflow flex-template build "$TEMPLATE" --project "$PROJECT" \
      --image "$LAUNCHER_IMAGE" --sdk-language PYTHON --metadata-file deploy/dataflow/metadata.json
    ;;
  run)
    mapfile -t args < <(run_args)
    gcloud dataflow flex-template run "$JOB_NAME" "${args[@]}"
    ;;
  update)
    # Replace the running job in place; state and uncommitted offsets carry over.  Renamed steps need a mapping:
    # TRANSFORM_NAME_MAPPING='{"OldLabel":"NewLabel"}'
    mapfile -t args < <(run_args)
    extra=(--update)
    [[ -n "${TRANSFORM_NAME_MAPPING:-}" ]] && extra+=(--transform-name-mappings "$TRANSFORM_NAME_MAPPING")
    gcloud dataflow flex-template run "$JOB_NAME" "${args[@]}" "${extra[@]}"
    ;;
  drain)
    job_id=$(gcloud dataflow jobs list --project "$PROJECT" --region "$REGION" --status active \
      --filter "name=${JOB_NAME}" --format 'value(JOB_ID)' | head -n1)
    gcloud dataflow jobs drain "$job_id" --project "$PROJECT" --region "$REGION"
    ;;
  *)
    echo "usage: $0 images|template|run|update|drain" >&2
    exit 2
    ;;
esac
