#!/usr/bin/env python3
# An independent Python reading of cspm-notify's daily job: benchmark peer and test oracle.
"""Compute the ticket groups of the daily job from Security Hub findings, the plain way.

Input: NDJSON files of EventBridge "Security Hub Findings - Imported" events (a line may also
be a bare ASFF finding), gzip accepted, "-" for stdin. Output: one JSON object per group on
stdout, sorted by grouping and key; statistics as one JSON object on stderr.

The rules, which the C++ pipeline must match:
 1. Every finding of detail.findings is taken (or the line itself when it has Id and
    ProductArn at top level). A line that is not JSON or neither an event nor a finding, and
    a finding without string Id, ProductArn, AwsAccountId and UpdatedAt (an RFC 3339 time),
    without a non-empty list of Resources that are objects with a string Id, or without a
    severity, counts as malformed and is skipped.
 2. Per identity (ProductArn, Id) the finding with the newest UpdatedAt wins (timestamps are
    compared as instants; on a tie the later line wins).
 3. Severity = FindingProviderFields.Severity.Label, else Severity.Label, else derived from
    Severity.Normalized (0 INFORMATIONAL, 1-39 LOW, 40-69 MEDIUM, 70-89 HIGH, 90-100 CRITICAL).
 4. Relevant: severity in --severities, Compliance.Status FAILED or absent, RecordState ACTIVE,
    Workflow.Status (else WorkflowState) not SUPPRESSED or RESOLVED, account in --accounts
    (all accounts when not given), last observed (LastObservedAt, else UpdatedAt) within
    [now - 24h, now].
 5. Relevant findings whose Compliance.SecurityControlId is in --account-controls are grouped
    per (control, account); those in --resource-controls per Resources[0].Id.
 6. A group prints as {"grouping": "account"|"resource", "account_id", "control_ids": [sorted],
    "resource_ids": [sorted Resources[*].Id of the members; the one resource of a resource
    group], "severity": the members' highest, "findings": member count}. A resource group's
    account_id is its members' account (the smallest, should they differ).

  reference_daily.py --now 2026-11-27T08:00:00Z --accounts 111122223333,444455556666 \\
      --account-controls IAM.6,CloudTrail.1 --resource-controls S3.2 day.ndjson.gz
"""
import argparse
import gzip
import json
import re
import sys
from datetime import datetime, timedelta

SEVERITIES = ["INFORMATIONAL", "LOW", "MEDIUM", "HIGH", "CRITICAL"]
RANK = {label: i for i, label in enumerate(SEVERITIES)}
CLOSED_WORKFLOWS = ("SUPPRESSED", "RESOLVED")
RFC3339 = re.compile(r"[0-9]{4}-[0-9]{2}-[0-9]{2}T[0-9]{2}:[0-9]{2}:[0-9]{2}(\.[0-9]+)?(Z|[+-][0-9]{2}:[0-9]{2})")


def instant(text):
    """An RFC 3339 timestamp (2026-11-27T08:00:00.123Z, or +01:00 for Z) as a datetime, or None."""
    if not isinstance(text, str) or not RFC3339.fullmatch(text):
        return None
    try:
        return datetime.fromisoformat(text)
    except ValueError:
        return None


def field(obj, *path):
    for key in path:
        if not isinstance(obj, dict):
            return None
        obj = obj.get(key)
    return obj


def severity(finding):
    for label in (field(finding, "FindingProviderFields", "Severity", "Label"),
                  field(finding, "Severity", "Label")):
        if isinstance(label, str) and label in RANK:
            return label
    n = field(finding, "Severity", "Normalized")
    if isinstance(n, bool) or not isinstance(n, (int, float)) or not 0 <= n <= 100:
        return None
    return "INFORMATIONAL" if n == 0 else "LOW" if n < 40 else "MEDIUM" if n < 70 \
        else "HIGH" if n < 90 else "CRITICAL"


def summarize(finding):
    """The fields the daily job needs, or None when the finding is malformed."""
    if not all(isinstance(finding.get(k), str) for k in ("Id", "ProductArn", "AwsAccountId")):
        return None
    updated = instant(finding.get("UpdatedAt"))
    resources = finding.get("Resources")
    if updated is None or not isinstance(resources, list) or not resources or not all(
            isinstance(r, dict) and isinstance(r.get("Id"), str) for r in resources):
        return None
    label = severity(finding)
    if label is None:
        return None
    observed = finding.get("LastObservedAt")
    if observed is not None and instant(observed) is None:
        return None  # present but not a time: as malformed as a wrong type
    workflow = field(finding, "Workflow", "Status")
    if workflow is None:
        workflow = finding.get("WorkflowState")
    control = field(finding, "Compliance", "SecurityControlId")
    return {
        "updated": updated,
        "observed": instant(observed) or updated,
        "account": finding["AwsAccountId"],
        "severity": label,
        "compliance": field(finding, "Compliance", "Status"),
        "record_state": finding.get("RecordState"),
        "workflow": workflow,
        "control": control if isinstance(control, str) else None,
        "resources": [r["Id"] for r in resources],
    }


def records(lines, stats):
    """Every finding of every line, as (identity, summary); malformed ones are counted."""
    for line in lines:
        if not line.strip():
            continue
        stats["events"] += 1
        try:
            record = json.loads(line)
        except (ValueError, RecursionError):
            stats["malformed"] += 1
            continue
        if isinstance(record, dict) and "detail" in record:
            findings = field(record, "detail", "findings")
        elif isinstance(record, dict) and "Id" in record and "ProductArn" in record:
            findings = [record]
        else:
            findings = None
        if not isinstance(findings, list):
            stats["malformed"] += 1
            continue
        for finding in findings:
            summary = summarize(finding) if isinstance(finding, dict) else None
            if summary is None:
                stats["malformed"] += 1
                continue
            stats["findings"] += 1
            yield (finding["ProductArn"], finding["Id"]), summary


def open_input(name):
    if name == "-":
        return sys.stdin.buffer
    if name.endswith(".gz"):
        return gzip.open(name, "rb")
    return open(name, "rb")


def groups(latest, args, now):
    """Group the relevant findings; returns the output objects in order."""
    since = now - timedelta(hours=args.window_hours)
    by_account, by_resource = {}, {}
    relevant = 0
    for f in latest.values():
        if (f["severity"] in args.severities and f["compliance"] in ("FAILED", None)
                and f["record_state"] == "ACTIVE" and f["workflow"] not in CLOSED_WORKFLOWS
                and (args.accounts is None or f["account"] in args.accounts)
                and since <= f["observed"] <= now):
            relevant += 1
            if f["control"] in args.account_controls:
                by_account.setdefault((f["control"], f["account"]), []).append(f)
            if f["control"] in args.resource_controls:
                by_resource.setdefault(f["resources"][0], []).append(f)
    out = []
    for (control, account), members in sorted(by_account.items()):
        out.append(group("account", account, members, {r for f in members for r in f["resources"]}))
    for resource, members in sorted(by_resource.items()):
        out.append(group("resource", min(f["account"] for f in members), members,
                         {r for f in members for r in f["resources"]}))
    return out, relevant


def group(grouping, account, members, resources):
    return {
        "grouping": grouping,
        "account_id": account,
        "control_ids": sorted({f["control"] for f in members}),
        "resource_ids": sorted(resources),
        "severity": max((f["severity"] for f in members), key=RANK.get),
        "findings": len(members),
    }


def id_list(text):
    return {item for item in text.split(",") if item}


def main():
    p = argparse.ArgumentParser(description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter)
    p.add_argument("files", nargs="+", help="NDJSON files (.gz accepted, - for stdin)")
    p.add_argument("--now", required=True, help="end of the 24h window, RFC 3339")
    p.add_argument("--accounts", type=id_list, help="account ids, comma-separated (default: all)")
    p.add_argument("--severities", type=id_list, default={"CRITICAL", "HIGH"})
    p.add_argument("--account-controls", type=id_list, default=set())
    p.add_argument("--resource-controls", type=id_list, default=set())
    p.add_argument("--window-hours", type=float, default=24, help="length of the window (default 24)")
    p.add_argument("--latest-counts", action="store_true",
                   help="print the latest state's counts (unique findings, by severity, by account, "
                        "malformed) as one JSON object instead of groups: the store's oracle")
    args = p.parse_args()
    now = instant(args.now)
    if now is None:
        p.error(f"--now: not an RFC 3339 timestamp: {args.now}")

    stats = {"events": 0, "findings": 0, "unique": 0, "malformed": 0, "relevant": 0, "groups": 0}
    latest = {}
    for name in args.files:
        with open_input(name) as fh:
            for identity, summary in records(fh, stats):
                old = latest.get(identity)
                if old is None or summary["updated"] >= old["updated"]:
                    latest[identity] = summary
    if args.latest_counts:
        by = lambda key: dict(sorted(
            (value, sum(1 for s in latest.values() if s[key] == value))
            for value in {s[key] for s in latest.values()}))
        print(json.dumps({"unique": len(latest), "malformed": stats["malformed"], "events": stats["events"],
                          "findings": stats["findings"], "by_severity": by("severity"),
                          "by_account": by("account")}))
        return
    out, stats["relevant"] = groups(latest, args, now)
    stats["unique"], stats["groups"] = len(latest), len(out)
    write = sys.stdout.write
    for g in out:
        write(json.dumps(g, separators=(",", ":")) + "\n")
    print(json.dumps(stats), file=sys.stderr)


if __name__ == "__main__":
    main()
