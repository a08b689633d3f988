#!/usr/bin/env bash
# CI for arm64, meant to be called from .ci/run: the code every machine
# without the amd64 assembly runs (Apple silicon, Graviton, Ampere). Vets
# the module for arm64, then builds the tests of the numeric packages for
# arm64 and runs them under user-mode emulation (Debian's qemu-user-static),
# the float64 reference of the full-size networks among them. Takes about
# two minutes on 2 cores.
set -euo pipefail
cd "$(dirname "$0")/.."

if ! command -v qemu-aarch64-static >/dev/null 2>&1; then
	export DEBIAN_FRONTEND=noninteractive
	apt-get update -qq
	apt-get install -y -qq --no-install-recommends qemu-user-static >/dev/null
fi

echo "== GOARCH=arm64 go vet ./..."
GOARCH=arm64 go vet ./...

echo "== GOARCH=arm64 go test (under qemu-aarch64-static)"
GOARCH=arm64 go test -exec qemu-aarch64-static \
	./kernels/cpu/ ./tensor/ ./autograd/ ./nn/... ./gan/ ./gan/metrics/
