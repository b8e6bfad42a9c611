#!/usr/bin/env bash
# Set up, build, and run the whole test suite through ctest: scripts/test.sh [release|debug|asan]
set -euo pipefail
cd "$(dirname "$0")/.."
preset=${1:-release}
bash scripts/build.sh "$preset"
ctest --preset "$preset" -j "$(nproc)"
