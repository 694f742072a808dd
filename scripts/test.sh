#!/usr/bin/env bash
# Installs dependencies, builds everything and runs the whole test suite with CTest.
set -euo pipefail
cd "$(dirname "$0")/.."
bash scripts/install-deps.sh
cmake -S . -B build -G Ninja -DCMAKE_BUILD_TYPE=RelWithDebInfo -DCSPM_BUILD_TESTS=ON
cmake --build build -j2
ctest --test-dir build -j2 --output-on-failure
