#!/usr/bin/env bash
# The main job: set up, build, and run rawgpu on this machine.
# Extra arguments go to `rawgpu demo` (e.g. scripts/run.sh --json, --device sim-amd:1).
set -euo pipefail
cd "$(dirname "$0")/.."
bash scripts/build.sh release >/dev/null
exec ./build/release/tools/rawgpu demo "$@"
