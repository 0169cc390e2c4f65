#!/usr/bin/env bash
# Build the Lambda image and try it under the Runtime Interface Emulator (`make image`, `make image-test`).
#
#   tools/image.sh build   docker buildx build --load, for the Lambda architecture
#   tools/image.sh test    build (unless SKIP_BUILD=1), run it read-only with the emulator on a
#                          loopback port, invoke GET /hello, POST /echo, GET /health as API Gateway
#                          HTTP API 2.0 events (python -m ci.invoke_image) and fail on any surprise
#
# Environment:
#   IMAGE                 tag to build or run (default lambda-api:local)
#   LAMBDA_ARCHITECTURE   x86_64 or arm64, as the Lambda function's `architecture` (default x86_64)
#   APP_VERSION           baked into the image, shown by /health (default: git describe)
#   BASE_DIGEST           @sha256:... to pin the base image's digest (default: whatever the tag is now)
#   PORT                  loopback port for the emulator (default 9000)
#   SKIP_BUILD=1          `test` runs IMAGE as it is (CI builds it once with its own cache)
#   PYTHON                interpreter for the checks (default python3; standard library only)
set -euo pipefail
cd "$(dirname "$0")/.."

IMAGE="${IMAGE:-lambda-api:local}"
LAMBDA_ARCHITECTURE="${LAMBDA_ARCHITECTURE:-x86_64}"
PORT="${PORT:-9000}"
PYTHON="${PYTHON:-python3}"

fail() {
  echo "image.sh: $*" >&2
  exit 1
}

usage() {
  echo "usage: tools/image.sh build|test  (see the header of this file for the environment it reads)" >&2
  exit 2
}

case "${LAMBDA_ARCHITECTURE}" in
  x86_64) PLATFORM=linux/amd64 ;;
  arm64) PLATFORM=linux/arm64 ;;
  *) fail "LAMBDA_ARCHITECTURE must be x86_64 or arm64 (Lambda's names), not '${LAMBDA_ARCHITECTURE}'" ;;
esac

if [[ -z "${APP_VERSION:-}" ]]; then
  APP_VERSION="$(git describe --tags --always --dirty 2>/dev/null || echo dev)"
fi

require_engine() {
  command -v docker >/dev/null 2>&1 \
    || fail "no Docker engine here: the 'docker' command is not installed. 'make image' and 'make image-test' need Docker (with buildx); everything else runs without it."
  local error
  if ! error="$(docker info --format '{{.ServerVersion}}' 2>&1 >/dev/null)"; then
    fail "no Docker engine here: 'docker info' cannot reach the daemon (${error%%$'\n'*}). Start Docker and retry."
  fi
  docker buildx version >/dev/null 2>&1 \
    || fail "docker buildx is not available: install the buildx plugin (it ships with Docker Desktop and docker-ce)."
}

build() {
  local args=(
    --platform "${PLATFORM}"
    # Lambda rejects an OCI index: no provenance or SBOM attestations, one single-platform manifest.
    --provenance=false
    --sbom=false
    --build-arg "APP_VERSION=${APP_VERSION}"
    --build-arg "REVISION=$(git rev-parse HEAD 2>/dev/null || echo unknown)"
    --build-arg "SOURCE=$(git config --get remote.origin.url 2>/dev/null || true)"
    --tag "${IMAGE}"
    --load
  )
  if [[ -n "${BASE_DIGEST:-}" ]]; then
    args+=(--build-arg "BASE_DIGEST=${BASE_DIGEST}")
  fi
  echo "image.sh: building ${IMAGE} for ${PLATFORM} (APP_VERSION=${APP_VERSION})"
  docker buildx build "${args[@]}" .
}

container=""
cleanup() {
  if [[ -n "${container}" ]]; then
    docker rm --force "${container}" >/dev/null 2>&1 || true
  fi
}

run_test() {
  trap cleanup EXIT
  echo "image.sh: running ${IMAGE} (${PLATFORM}) with the Runtime Interface Emulator on 127.0.0.1:${PORT}"
  # Read-only root with a writable /tmp: the filesystem Lambda gives the function. Published on
  # loopback only.
  container="$(docker run --detach \
    --platform "${PLATFORM}" \
    --read-only --tmpfs /tmp \
    --publish "127.0.0.1:${PORT}:8080" \
    --env LOG_LEVEL=INFO \
    "${IMAGE}")"
  local rc=0
  "${PYTHON}" -m ci.invoke_image \
    --url "http://127.0.0.1:${PORT}/2015-03-31/functions/function/invocations" \
    --version "${APP_VERSION}" || rc=$?
  if [[ "${rc}" -ne 0 ]]; then
    echo "image.sh: the image failed its checks; container output follows" >&2
    docker logs "${container}" >&2 || true
    exit "${rc}"
  fi
}

[[ $# -eq 1 ]] || usage
case "$1" in
  build)
    require_engine
    build
    ;;
  test)
    require_engine
    if [[ "${SKIP_BUILD:-}" != "1" ]]; then
      build
    fi
    run_test
    ;;
  *) usage ;;
esac
