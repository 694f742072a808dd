#!/usr/bin/env bash
# Benchmarks the store: ingest of one generated 400,000-event day (events/s, peak RSS, store
# bytes), DuckDB loading the same file, and the daily pipeline over a store of 30 days.
#
#   bench/store.sh [--events N] [--days-events N] [--build DIR] [--no-duckdb]
#
# --events: events of the single day (default 400000); --days-events: events per day of the
# 30-day store (default 40000; the findings table, which the pipeline reads, holds the same
# few hundred thousand identities however busy each day is). Data is generated once and
# cached in DIR/bench-data. DuckDB comes from npm (@duckdb/node-api) into DIR/bench-data/node.
set -euo pipefail

SEED=7
END=2026-11-27T08:00:00Z
usage() { sed -n '5p' "$0" | sed 's/^#   /usage: /' >&2; exit 2; }
events=400000 days_events=40000 build=build duckdb=1
while [ $# -gt 0 ]; do
  case "$1" in
    --events) events=$2; shift 2 ;;
    --days-events) days_events=$2; shift 2 ;;
    --build) build=$2; shift 2 ;;
    --no-duckdb) duckdb=0; shift ;;
    *) usage ;;
  esac
done
root=$(cd "$(dirname "$0")/.." && pwd)
cd "$root"
data="$build/bench-data"
out="$data/store-out"
mkdir -p "$data" "$out"
rm -f "$out"/*.json "$out"/*.out  # results of an earlier run must not show as this one's
[ -x "$build/cspmd" ] || { echo "build cspmd first (cmake --build $build --target cspm_runtime)" >&2; exit 1; }

generate() {  # file, generator options...: generate once, keyed by the options and the generator
  local file=$1; shift
  if [ ! -s "$file" ]; then
    echo "generating $file ..."
    tools/gen-findings "$@" --summary "$file.summary.json" > "$file.tmp"
    mv "$file.tmp" "$file"
  fi
}
key() { printf '%s ' "$@" | cat - tools/gen-findings | sha1sum | cut -c1-10; }

day_opts=(--events "$events" --days 1 --end "$END" --seed "$SEED" --multi-rate 0.02 --hostile-rate 0.001 --malformed-rate 0.0005)
day="$data/day-$(key "${day_opts[@]}").ndjson"
generate "$day" "${day_opts[@]}"
month_opts=(--events "$days_events" --days 30 --end "$END" --seed "$SEED" --multi-rate 0.02 --malformed-rate 0.0005)
month="$data/month-$(key "${month_opts[@]}").ndjson"
generate "$month" "${month_opts[@]}"
cat "$day" > /dev/null

measure() {  # name, command...
  local name=$1; shift
  echo "running $name ..."
  bench/measure.py -o "$out/$name.out" -r "$out/$name.json" -- "$@" 2> "$out/$name.err" || {
    echo "  $name failed; the end of $out/$name.err:"; tail -n 5 "$out/$name.err" | sed 's/^/    /'; }
}
field() { python3 -c 'import json,sys; print(json.load(open(sys.argv[1]))[sys.argv[2]])' "$1" "$2"; }

# --- one day: cspmd ingest against DuckDB ------------------------------------------------------
rm -rf "$out/day-store"
measure ingest "$build/cspmd" ingest --format json --data-dir "$out/day-store" --report-limit 0 "$day"
store_bytes=$(du -cb "$out/day-store"/cspm.db* | tail -1 | cut -f1)
if [ "$duckdb" = 1 ]; then
  node_dir="$data/node"
  if [ ! -d "$node_dir/node_modules/@duckdb/node-api" ]; then
    command -v npm > /dev/null || apt-get install -y nodejs npm > /dev/null
    mkdir -p "$node_dir"
    (cd "$node_dir" && npm install --silent --no-audit --no-fund @duckdb/node-api > /dev/null)
  fi
  cp bench/duckdb_load.mjs "$node_dir/"
  rm -f "$out/day.duckdb"
  measure duckdb node "$node_dir/duckdb_load.mjs" "$day" "$out/day.duckdb"
fi

# --- thirty days: ingest, then the daily pipeline over the store ---------------------------------
rm -rf "$out/month-store"
measure ingest-30d "$build/cspmd" ingest --format json --data-dir "$out/month-store" --report-limit 0 "$month"
month_bytes=$(du -cb "$out/month-store"/cspm.db* | tail -1 | cut -f1)
accounts=$(python3 -c 'import json,sys; print(",".join(json.load(open(sys.argv[1]))["accounts"][:50]))' "$month.summary.json")
daily=("$build/cspmd" run pipelines/cspm-daily.toml --data-dir "$out/month-store" --dry-run --now "$END"
       --param "accounts=$accounts" --param group_by_account_controls=S3.1,IAM.6,CloudTrail.1,EC2.19
       --param group_by_resource_controls=S3.2,RDS.2)
"${daily[@]}" > /dev/null 2>&1  # warm the page cache, as a daemon's store would be
measure daily-30d "${daily[@]}"

# --- the report ------------------------------------------------------------------------------------
python3 - "$out" "$events" "$store_bytes" "$month_bytes" "$days_events" <<'PY'
import json, os, sys
out, events, store_bytes, month_bytes, days_events = sys.argv[1], int(sys.argv[2]), int(sys.argv[3]), int(sys.argv[4]), int(sys.argv[5])
def m(name):
    p = os.path.join(out, name + ".json")
    return json.load(open(p)) if os.path.exists(p) else None
def counts(name):
    try:
        return json.loads(open(os.path.join(out, name + ".out")).read().strip().splitlines()[-1])
    except (OSError, ValueError, IndexError):
        return {}
print()
print(f"{'what':28} {'wall s':>8} {'events/s':>10} {'peak RSS MB':>12} {'MB on disk':>11}")
ing, c = m("ingest"), counts("ingest")
if ing:
    print(f"{'cspmd ingest, 1 day':28} {ing['wall_s']:8.2f} {events / ing['wall_s']:10,.0f} {ing['max_rss_mb']:12.1f} {store_bytes / 1e6:11.1f}")
duck = m("duckdb")
if duck:
    d = counts("duckdb")
    print(f"{'DuckDB read_ndjson, 1 day':28} {duck['wall_s']:8.2f} {events / duck['wall_s']:10,.0f} {duck['max_rss_mb']:12.1f} {d.get('bytes', 0) / 1e6:11.1f}")
    if c and d and d.get("unique") != c.get("findings_new"):
        print(f"  note: DuckDB kept {d.get('unique')} identities, cspmd {c.get('findings_new')} (DuckDB skips no malformed finding)")
month, mc = m("ingest-30d"), counts("ingest-30d")
if month:
    n = mc.get("events", 30 * days_events)
    print(f"{'cspmd ingest, 30 days':28} {month['wall_s']:8.2f} {n / month['wall_s']:10,.0f} {month['max_rss_mb']:12.1f} {month_bytes / 1e6:11.1f}")
daily = m("daily-30d")
if daily:
    print(f"{'cspm-daily over 30 days':28} {daily['wall_s']:8.2f} {'':>10} {daily['max_rss_mb']:12.1f}")
if c:
    print(f"\n1 day: {c['events']} events, {c['findings']} findings, {c['findings_new']} stored, "
          f"{c['findings_updated']} updated, {c['stale']} stale, {c['quarantined']} quarantined")
if mc:
    print(f"store growth per day (30-day store / 30): {month_bytes / 30 / 1e6:.1f} MB")
PY
