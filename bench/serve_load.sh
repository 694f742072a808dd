#!/usr/bin/env bash
# Load on `cspmd serve`: a generated 400,000-event day posted as Firehose requests on
# loopback with several connections; prints events/s acknowledged and stored (the time until
# the ingest log is folded), p50/p99 latency and the daemon's RSS, then checks nothing was
# lost (the daemon's store holds what a file ingest of the same day holds, and every event
# sent was received).
#
#   bench/serve_load.sh [--events N] [--connections N] [--batch-mb N] [--gzip] [--soak-seconds S] [--build DIR]
set -euo pipefail

SEED=7
END=2026-11-27T08:00:00Z
usage() { sed -n '7p' "$0" | sed 's/^#   /usage: /' >&2; exit 2; }
events=400000 connections=4 batch_mb=4 gzip="" soak=0 build=build
while [ $# -gt 0 ]; do
  case "$1" in
    --events) events=$2; shift 2 ;;
    --connections) connections=$2; shift 2 ;;
    --batch-mb) batch_mb=$2; shift 2 ;;
    --gzip) gzip=--gzip; shift ;;
    --soak-seconds) soak=$2; shift 2 ;;
    --build) build=$2; shift 2 ;;
    *) usage ;;
  esac
done
root=$(cd "$(dirname "$0")/.." && pwd)
cd "$root"
data="$build/bench-data"
out="$data/serve-out"
rm -rf "$out"
mkdir -p "$data" "$out/pipelines"
[ -x "$build/cspmd" ] || { echo "build cspmd first (cmake --build $build --target cspm_runtime)" >&2; exit 1; }

# The same day as bench/store.sh (shared cache).
key() { printf '%s ' "$@" | cat - tools/gen-findings | sha1sum | cut -c1-10; }
day_opts=(--events "$events" --days 1 --end "$END" --seed "$SEED" --multi-rate 0.02 --hostile-rate 0.001 --malformed-rate 0.0005)
day="$data/day-$(key "${day_opts[@]}").ndjson"
if [ ! -s "$day" ]; then
  echo "generating $day ..."
  tools/gen-findings "${day_opts[@]}" --summary "$day.summary.json" > "$day.tmp" && mv "$day.tmp" "$day"
fi
loader="$data/firehose_load"
if [ ! -x "$loader" ] || [ bench/firehose_load.cpp -nt "$loader" ]; then
  g++ -O2 -std=c++20 bench/firehose_load.cpp -lz -pthread -o "$loader"
fi

printf 'k3y\n' > "$out/firehose.key"
cat > "$out/cspmd.toml" <<TOML
data_dir = "data"
pipelines_dir = "pipelines"
[serve]
listen = "127.0.0.1:0"
firehose_access_keys = [{ file = "firehose.key" }]
TOML
"$build/cspmd" serve -c "$out/cspmd.toml" 2> "$out/daemon.log" &
daemon=$!
trap 'kill $daemon 2>/dev/null || true' EXIT
port=""
for _ in $(seq 100); do
  port=$(grep -o 'listening on http://127.0.0.1:[0-9]*' "$out/daemon.log" | grep -o '[0-9]*$' || true)
  [ -n "$port" ] && break
  sleep 0.1
done
[ -n "$port" ] || { echo "cspmd serve did not start:"; cat "$out/daemon.log"; exit 1; }

"$loader" --url "http://127.0.0.1:$port" --key k3y --file "$day" --connections "$connections" \
  --batch-bytes $((batch_mb * 1000000)) --pid "$daemon" --soak-seconds "$soak" $gzip > "$out/load.json"
# Acknowledged batches are in the ingest log; the time until their findings are all in the
# store (the daemon folds the log every half second, or sooner when much has gathered).
pending() { curl -s "http://127.0.0.1:$port/metrics" | awk '/^cspm_ingest_log_batches / {n = $2} END {printf "%d", n}'; }
t0=$(date +%s%N)
while [ "$(pending)" != 0 ]; do sleep 0.02; done
stored_after_ms=$(( ($(date +%s%N) - t0) / 1000000 ))
received=$(curl -s "http://127.0.0.1:$port/metrics" | awk '/^cspm_events_received_total/ {s += $2} END {printf "%d", s}')
kill -TERM $daemon; wait $daemon || true
trap - EXIT

# What a file ingest of the same day stores, for comparison.
"$build/cspmd" ingest --format json --data-dir "$out/file-store" --report-limit 0 "$day" > "$out/file-ingest.json" 2> /dev/null
count() { "$build/cspmd" query --data-dir "$1" --format json --sql "SELECT count(*) AS n FROM findings"; }
python3 - "$out/load.json" "$(count "$out/data")" "$(count "$out/file-store")" "$received" "$events" "$soak" "$stored_after_ms" <<'PY'
import json, sys
load, served, filed = json.load(open(sys.argv[1])), json.loads(sys.argv[2]), json.loads(sys.argv[3])
received, events, soak, stored_ms = int(sys.argv[4]), int(sys.argv[5]), int(sys.argv[6]), int(sys.argv[7])
print()
print(f"cspmd serve, Firehose on loopback: {load['requests']} requests, {load['events_acked']} events acknowledged, {load['failed']} failed")
print(f"  {load['events_per_s']:,.0f} events/s ({load['mb_per_s']:.1f} MB/s of request bodies) in {load['wall_s']:.2f} s")
stored_s = load['wall_s'] + stored_ms / 1000
print(f"  all findings stored {stored_ms / 1000:.2f} s after the last acknowledgement: "
      f"{load['events_acked'] / stored_s:,.0f} events/s to the store")
print(f"  request latency p50 {load['p50_ms']:.0f} ms, p99 {load['p99_ms']:.0f} ms, max {load['max_ms']:.0f} ms")
print(f"  daemon RSS {load['daemon_rss_mb']:.0f} MB at the end, peak {load['daemon_peak_rss_mb']:.0f} MB")
if soak:
    print("  RSS over the soak (s, MB): " + ", ".join(f"{t}:{mb:.0f}" for t, mb in load["rss_series_mb"]))
print(f"  events received by the daemon: {received:,} (sent: {load['events_acked']:,})")
print(f"  findings in the daemon's store: {served['n']:,}; a file ingest of the same day: {filed['n']:,}"
      + ("  OK" if served["n"] == filed["n"] else "  MISMATCH"))
PY
