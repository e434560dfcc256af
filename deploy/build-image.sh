#!/usr/bin/env bash
# Build the meshcache container image without pulling anything: compile a
# static binary on this host (CGO_ENABLED=0) and wrap it in a FROM scratch
# image (deploy/Dockerfile.local).
#
#   deploy/build-image.sh                 # tags meshcache:local
#   IMAGE=meshcache:0.1.0 deploy/build-image.sh
#
# Needs Go (the version in go.mod) and Docker. GOARCH may be set to build
# for another architecture (e.g. GOARCH=arm64).
set -euo pipefail

image=${IMAGE:-meshcache:local}
root=$(cd "$(dirname "$0")/.." && pwd)
ctx=$(mktemp -d)
trap 'rm -rf "$ctx"' EXIT

echo "building static binary (GOOS=linux GOARCH=${GOARCH:-$(go env GOARCH)})" >&2
(cd "$root" && CGO_ENABLED=0 GOOS=linux go build -trimpath -ldflags="-s -w" -o "$ctx/meshcache" ./cmd/meshcache)
cp "$root/deploy/Dockerfile.local" "$ctx/Dockerfile"

echo "building image $image" >&2
docker build -t "$image" "$ctx"
docker image inspect --format '{{.RepoTags}} {{.Size}} bytes' "$image"
