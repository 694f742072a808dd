#!/usr/bin/env bash
# Installs the Debian 12 packages cspm-notify needs to build, test and benchmark (run as root).
set -euo pipefail
export DEBIAN_FRONTEND=noninteractive
packages=(
  build-essential cmake pkg-config ninja-build
  libboost-dev libboost-test-dev libboost-program-options-dev libboost-system-dev
  libboost-filesystem-dev
  nlohmann-json3-dev libtomlplusplus-dev libsimdjson-dev libxxhash-dev libzstd-dev
  libsqlite3-dev zlib1g-dev libssl-dev libhowardhinnant-date-dev tzdata libsystemd-dev
  python3 jq openssl nodejs node-ajv python3-prometheus-client systemd
)
missing=()
for p in "${packages[@]}"; do
  dpkg-query -W -f='${Status}' "$p" 2>/dev/null | grep -q "install ok installed" || missing+=("$p")
done
if [ ${#missing[@]} -gt 0 ]; then
  apt-get update -qq
  apt-get install -y -qq --no-install-recommends "${missing[@]}"
fi
