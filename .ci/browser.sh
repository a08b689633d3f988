#!/usr/bin/env bash
# CI for horse2zebra serve in a real browser, meant to be called from
# .ci/run: installs Debian's Chromium if missing, then runs the test that
# loads the served page headless, uploads an image through the page's
# script and checks that both translations appear. About 10 s on 2 cores.
set -euo pipefail
cd "$(dirname "$0")/.."

if ! command -v chromium >/dev/null 2>&1 && ! command -v chromium-browser >/dev/null 2>&1; then
	export DEBIAN_FRONTEND=noninteractive
	apt-get update -qq
	apt-get install -y -qq --no-install-recommends chromium >/dev/null
fi

echo "== horse2zebra serve in headless Chromium"
go test -count=1 -run Browser -v ./examples/horse2zebra/
