#!/usr/bin/env bash
# The daily job in jq: a benchmark peer of cspmd that prints the groups reference_daily.py prints.
#
#   bench/daily_jq.sh --now 2026-11-27T08:00:00Z [--accounts a,b] [--severities CRITICAL,HIGH]
#                     [--account-controls S3.1,IAM.6] [--resource-controls S3.2] FILE... (.gz, - = stdin)
#
# The rules are those of bench/reference_daily.py (read its docstring); the input is read line
# by line (jq -R, fromjson?), never slurped. Groups go to stdout, one JSON object per line.
set -euo pipefail

usage() {
  sed -n '4s/^#   /usage: /p; 5s/^#   /       /p' "$0" >&2
  exit 2
}

now='' accounts='' severities=CRITICAL,HIGH account_controls='' resource_controls=''
files=()
while [ $# -gt 0 ]; do
  case "$1" in
    --now) now=$2; shift 2 ;;
    --accounts) accounts=$2; shift 2 ;;
    --severities) severities=$2; shift 2 ;;
    --account-controls) account_controls=$2; shift 2 ;;
    --resource-controls) resource_controls=$2; shift 2 ;;
    -h|--help) usage ;;
    -) files+=("-"); shift ;;
    -*) echo "daily_jq.sh: unknown option $1" >&2; usage ;;
    *) files+=("$1"); shift ;;
  esac
done
if [ -z "$now" ] || [ ${#files[@]} -eq 0 ]; then usage; fi

read_all() {
  for f in "${files[@]}"; do
    case "$f" in
      -) cat ;;
      *.gz) gzip -dc -- "$f" ;;
      *) cat -- "$f" ;;
    esac
  done
}

# shellcheck disable=SC2016  # $names below are jq variables
program='
def set: split(",") | map(select(length > 0) | {(.): true}) | add // {};
def rank: {"INFORMATIONAL": 0, "LOW": 1, "MEDIUM": 2, "HIGH": 3, "CRITICAL": 4};

# An RFC 3339 timestamp as [UTC seconds, fraction] (arrays compare as instants), else null.
def digits: length > 0 and (explode | all(. >= 48 and . <= 57));
def instant:
  if type != "string" or length < 20 or .[10:11] != "T" then null
  else . as $s
  | (try ($s[0:19] + "Z" | fromdateiso8601) catch null) as $base
  | ($s[19:]) as $rest
  | (if $rest[-1:] == "Z" then [$rest[:-1], 0]
     elif ($rest[-6:] | test("^[+-][0-9]{2}:[0-9]{2}$")) then
       [$rest[:-6], (($rest[-5:-3] | tonumber) * 3600 + ($rest[-2:] | tonumber) * 60
                     | if $rest[-6:-5] == "-" then -. else . end)]
     else null end) as $tail
  | if $base == null or ($base | todate) != $s[0:19] + "Z" or $tail == null then null
    elif $tail[0] == "" then [$base - $tail[1], 0]
    elif ($tail[0][0:1] == ".") and ($tail[0][1:] | digits) then [$base - $tail[1], ("0" + $tail[0] | tonumber)]
    else null end
  end;

def field(f): try f catch null;
def severity:
  ([field(.FindingProviderFields.Severity.Label), field(.Severity.Label)]
   | map(select(type == "string" and rank[.] != null)) | .[0])
  // (field(.Severity.Normalized)
      | if type != "number" or . < 0 or . > 100 then null
        elif . == 0 then "INFORMATIONAL" elif . < 40 then "LOW" elif . < 70 then "MEDIUM"
        elif . < 90 then "HIGH" else "CRITICAL" end);

# The fields the job needs, or null when the finding is malformed.
def summary:
  if type != "object" or (.Id | type) != "string" or (.ProductArn | type) != "string"
     or (.AwsAccountId | type) != "string" then null
  else (.UpdatedAt | instant) as $updated
  | severity as $severity
  | if $updated == null or $severity == null or (.Resources | type) != "array"
       or (.Resources | length) == 0
       or any(.Resources[]; type != "object" or (.Id | type) != "string") then null
    else field(.Workflow.Status) as $workflow
    | field(.Compliance.SecurityControlId) as $control
    | {key: ([.ProductArn, .Id] | tojson), updated: $updated,
       observed: ((.LastObservedAt | instant) // $updated),
       account: .AwsAccountId, severity: $severity,
       compliance: field(.Compliance.Status), record_state: .RecordState,
       workflow: (if $workflow == null then .WorkflowState else $workflow end),
       control: (if ($control | type) == "string" then $control else null end),
       resources: [.Resources[].Id]}
    end
  end;

def findings:
  if type == "object" and has("detail") then field(.detail.findings) | if type == "array" then .[] else null end
  elif type == "object" and has("Id") and has("ProductArn") then .
  else null end;

def group($grouping; $account; $resources):
  {grouping: $grouping, account_id: $account,
   control_ids: (map(.control) | unique), resource_ids: ($resources | unique),
   severity: (map(.severity) | max_by(rank[.])), findings: length};

($now | instant) as $now
| if $now == null then error("--now: not an RFC 3339 timestamp") else . end
| [$now[0] - 86400, $now[1]] as $since
| ($severities | set) as $severities
| (if $accounts == "" then null else $accounts | set end) as $accounts
| ($account_controls | set) as $account_controls
| ($resource_controls | set) as $resource_controls
# Beware: jq 1.6 lets "fromjson?" swallow errors raised further down this pipeline, so a bug
# in summary drops findings silently; reference_daily.py is there to catch that.
| reduce (inputs | fromjson? | findings | summary | select(. != null)) as $f ({};
    if .[$f.key] == null or $f.updated >= .[$f.key].updated then .[$f.key] = $f else . end)
| [.[] | select($severities[.severity] and (.compliance == "FAILED" or .compliance == null)
                and .record_state == "ACTIVE"
                and .workflow != "SUPPRESSED" and .workflow != "RESOLVED"
                and ($accounts == null or $accounts[.account])
                and .observed >= $since and .observed <= $now and .control != null)]
| ([.[] | select($account_controls[.control])] | group_by([.control, .account])
   | .[] | group("account"; .[0].account; [.[].resources[]])),
  ([.[] | select($resource_controls[.control])] | group_by(.resources[0])
   | .[] | group("resource"; map(.account) | min; [.[0].resources[0]]))
'

read_all | jq -nRc --arg now "$now" --arg accounts "$accounts" --arg severities "$severities" \
  --arg account_controls "$account_controls" --arg resource_controls "$resource_controls" "$program"
