#!/usr/bin/env python3
# Runs one command and reports its wall time and peak memory, for bench/run.sh.
"""Run CMD and print {"wall_s", "max_rss_mb", "exit"} as one JSON line.

The peak RSS is the largest of the command and the descendants it waited for (what the
kernel reports to wait4), so a shell pipeline counts its biggest member.

  measure.py [-o OUT] [-r RESULT] -- CMD [ARG...]

-o sends the command's stdout to OUT; -r writes the result to RESULT instead of stderr.
Exits with the command's exit status (128 + N when signal N ended it).
"""
import argparse
import json
import os
import sys
import time


def main():
    p = argparse.ArgumentParser(description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter)
    p.add_argument("-o", "--stdout", help="file for the command's stdout")
    p.add_argument("-r", "--result", help="file for the result (default: stderr)")
    p.add_argument("command", nargs=argparse.REMAINDER)
    a = p.parse_args()
    command = a.command[1:] if a.command[:1] == ["--"] else a.command
    if not command:
        p.error("no command given")

    actions = []
    if a.stdout:
        fd = os.open(a.stdout, os.O_WRONLY | os.O_CREAT | os.O_TRUNC, 0o644)
        actions = [(os.POSIX_SPAWN_DUP2, fd, 1), (os.POSIX_SPAWN_CLOSE, fd)]
    start = time.monotonic()
    try:
        pid = os.posix_spawnp(command[0], command, os.environ, file_actions=actions)
    except OSError as e:
        print(f"measure.py: cannot run {command[0]}: {e.strerror}", file=sys.stderr)
        return 127
    _, status, usage = os.wait4(pid, 0)
    wall = time.monotonic() - start
    code = os.waitstatus_to_exitcode(status)
    code = code if code >= 0 else 128 - code
    result = {"wall_s": round(wall, 3), "max_rss_mb": round(usage.ru_maxrss / 1024, 1), "exit": code}
    if a.result:
        with open(a.result, "w") as fh:
            fh.write(json.dumps(result) + "\n")
    else:
        print(json.dumps(result), file=sys.stderr)
    return code


if __name__ == "__main__":
    sys.exit(main())
