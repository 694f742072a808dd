#!/usr/bin/python3
"""Parses Prometheus text exposition with the official client library's parser and prints
one JSON line per sample: {"family", "type", "name", "labels", "value"}. Exit 1 if it fails."""
import json
import sys

from prometheus_client.parser import text_string_to_metric_families

text = open(sys.argv[1], encoding="utf-8").read()
try:
    for family in text_string_to_metric_families(text):
        for s in family.samples:
            print(json.dumps({"family": family.name, "type": family.type, "name": s.name,
                              "labels": s.labels, "value": s.value}, sort_keys=True))
except Exception as e:  # the parser's own message is what the test should show
    print(f"parse error: {e}", file=sys.stderr)
    sys.exit(1)
