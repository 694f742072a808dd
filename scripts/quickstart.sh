#!/usr/bin/env bash
# Quick start: install dependencies, build cspmd and its plugins, load the bundled sample day
# into a fresh store and run cspm-daily on it as a dry run (plan records on stdout; build
# output, ingest summary and statistics on stderr).
set -euo pipefail
cd "$(dirname "$0")/.."
bash scripts/install-deps.sh >&2
cmake -S . -B build -G Ninja -DCMAKE_BUILD_TYPE=RelWithDebInfo >&2
cmake --build build -j2 --target cspm_runtime >&2
data=build/quickstart-data
rm -rf "$data"
./build/cspmd ingest --data-dir "$data" pipelines/samples/security-hub-day.ndjson.gz >&2
# The sample day ends at 2026-11-27T08:00Z; "now" is the seed workflow's 09:00 Berlin run.
./build/cspmd run pipelines/cspm-daily.toml --data-dir "$data" --dry-run --now 2026-11-27T09:00:00+01:00
