#!/usr/bin/env bash
# CI for data-parallel training over MPI, meant to be called from .ci/run:
# installs Debian's OpenMPI if missing, vets the module with the mpi tag,
# runs the MPI tests of nn/dist and gan with 2 ranks, then
# scripts/mpi-check.sh (resume across a stop, a killed rank). About a
# minute on 2 cores.
set -euo pipefail
cd "$(dirname "$0")/.."

if ! command -v mpirun >/dev/null 2>&1 || ! pkg-config --exists ompi-c 2>/dev/null; then
	export DEBIAN_FRONTEND=noninteractive
	apt-get update -qq
	apt-get install -y -qq --no-install-recommends libopenmpi-dev openmpi-bin pkg-config >/dev/null
fi

echo "== go vet -tags mpi ./..."
go vet -tags mpi ./...

tmp=$(mktemp -d)
trap 'rm -rf "$tmp"' EXIT
mpirun=(mpirun --allow-run-as-root --oversubscribe -np 2)
echo "== nn/dist and gan with 2 ranks"
go test -c -tags mpi -o "$tmp/dist.test" ./nn/dist
go test -c -tags mpi -o "$tmp/gan.test" ./gan
"${mpirun[@]}" "$tmp/dist.test" -test.v
"${mpirun[@]}" "$tmp/gan.test" -test.run MPI -test.v

echo "== scripts/mpi-check.sh"
bash scripts/mpi-check.sh
