#!/usr/bin/env bash
# Quick start: install dependencies, build cspmd and its plugins, run cspm-daily on the
# bundled sample as a dry run (plan records on stdout; build output and statistics on stderr).
set -euo pipefail
cd "$(dirname "$0")/.."
bash scripts/install-deps.sh >&2
cmake -S . -B build -G Ninja -DCMAKE_BUILD_TYPE=RelWithDebInfo >&2
cmake --build build -j2 --target cspm_runtime >&2
# The sample day ends at 2026-11-27T08:00Z; "now" is the seed workflow's 09:00 Berlin run.
./build/cspmd run pipelines/cspm-daily.toml --dry-run --now 2026-11-27T09:00:00+01:00
