# The Lambda image: AWS's Python base image, the hash-locked runtime dependencies and app/, with
# bytecode compiled at build time. Build with `make image` (tools/image.sh).
#
# Base: public.ecr.aws/lambda/python:3.13 (the app supports Python >= 3.11). The reference is
# written out in FROM so Dependabot (docker ecosystem) and Checkov can read it; BASE_DIGEST pins it
# for a whole build: CI resolves the tag once and passes --build-arg BASE_DIGEST=@sha256:..., so
# both stages use the same bytes and the image records which.
#
# Multi-arch without emulation: the builder runs on the build machine's platform and asks pip for
# wheels of the *target* platform (TARGETARCH), so an arm64 image builds on an amd64 runner without
# QEMU. The final stage has no RUN step at all, only COPY, so it never executes target-arch code.

ARG BASE_DIGEST=""

FROM --platform=$BUILDPLATFORM public.ecr.aws/lambda/python:3.13${BASE_DIGEST} AS builder
ARG TARGETARCH
WORKDIR ${LAMBDA_TASK_ROOT}
COPY requirements.txt /tmp/requirements.txt
# - --require-hashes: every distribution must match a hash in requirements.txt (pip-compile).
# - --only-binary=:all: wheels only, so nothing from the index runs code at build time; it is also
#   what pip requires to select wheels for another platform.
# - --platform: the Lambda base image is Amazon Linux 2023 (glibc 2.34), so any manylinux wheel up to
#   2.34 for the target architecture fits; pip does not expand manylinux_2_N tags by itself.
# - --no-compile: bytecode is written once below, in the mode the read-only task root needs.
RUN set -eu; \
    case "${TARGETARCH}" in \
      amd64) arch=x86_64 ;; \
      arm64) arch=aarch64 ;; \
      *) echo "unsupported TARGETARCH '${TARGETARCH}': build with BuildKit for linux/amd64 or linux/arm64" >&2; exit 1 ;; \
    esac; \
    set --; \
    minor=34; \
    while [ "${minor}" -ge 17 ]; do set -- "$@" --platform "manylinux_2_${minor}_${arch}"; minor=$((minor - 1)); done; \
    python3 -m pip install --no-cache-dir --disable-pip-version-check --no-compile \
      --require-hashes --only-binary=:all: --implementation cp "$@" \
      --target "${LAMBDA_TASK_ROOT}" -r /tmp/requirements.txt
COPY app/ ${LAMBDA_TASK_ROOT}/app/
# Lambda mounts the task root read-only, so Python cannot write a missing or stale .pyc there: it
# would compile every module in memory on every cold start. unchecked-hash .pyc files are used
# without looking at the source (no stat, no mtime: valid whatever timestamps the image layers end
# up with) and are byte-for-byte reproducible. Safe because nothing can change the sources after
# the build. Compiled in place at the final path so tracebacks name /var/task/...
# Lambda reads the code as another user: everything must be world-readable whatever the umask of
# the checkout it came from.
RUN python3 -m compileall -q -j 0 --invalidation-mode unchecked-hash "${LAMBDA_TASK_ROOT}" \
    && chmod -R u=rwX,go=rX "${LAMBDA_TASK_ROOT}"

FROM public.ecr.aws/lambda/python:3.13${BASE_DIGEST}
ARG BASE_DIGEST
# Set by tools/image.sh and CI. An empty APP_VERSION makes /health show the package's own version.
ARG APP_VERSION=""
ARG SOURCE=""
ARG REVISION=""
LABEL org.opencontainers.image.title="lambda-api" \
      org.opencontainers.image.description="Starlette HTTP API on AWS Lambda behind an API Gateway HTTP API" \
      org.opencontainers.image.licenses="MIT" \
      org.opencontainers.image.source="${SOURCE}" \
      org.opencontainers.image.revision="${REVISION}" \
      org.opencontainers.image.version="${APP_VERSION}" \
      org.opencontainers.image.base.name="public.ecr.aws/lambda/python:3.13${BASE_DIGEST}"
ENV APP_VERSION=${APP_VERSION}
COPY --from=builder ${LAMBDA_TASK_ROOT} ${LAMBDA_TASK_ROOT}
# checkov:skip=CKV_DOCKER_3: Lambda ignores USER and runs the function as its own least-privileged user
# checkov:skip=CKV_DOCKER_2: Lambda ignores HEALTHCHECK; `make image-test` invokes /health through the emulator instead
CMD ["app.handler.handler"]
