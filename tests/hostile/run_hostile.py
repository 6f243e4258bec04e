#!/usr/bin/python3
"""Runs embedscope-cli on every case of the hostile-input corpus (make_corpus.py).

    run_hostile.py CLI WORK_DIR [--timeout S] [--only SUBSTRING]

A case passes when the program ends within the timeout and
  - expect "fail": exits with status 1 or 2 (not a signal, not a sanitizer's status) and writes
    exactly one non-empty line to stderr, at most 400 characters, naming `mention` if given;
  - expect "ok": exits 0 with every `stdout_has` string in stdout and no sanitizer report.
Exit status: 0 when every case passes, 1 otherwise. Cases that cannot prove anything here
(mode-000 files that this user can read anyway) are reported as skipped. A failure is printed
where it happens and again in the closing summary, so a cut-down log still shows it.
"""

import os
import subprocess
import sys
import time

sys.path.insert(0, os.path.dirname(os.path.abspath(__file__)))
import make_corpus  # noqa: E402

SANITIZER_MARKS = ("ERROR: AddressSanitizer", "runtime error:", "ERROR: LeakSanitizer", "SUMMARY: ")


def check(case, proc, work=""):
    err = proc.stderr.decode("utf-8", "replace")
    out = proc.stdout.decode("utf-8", "replace")
    if any(m in err for m in SANITIZER_MARKS):
        return "sanitizer report:\n" + err[-3000:]
    if case["expect"] == "fail":
        if proc.returncode not in (1, 2):
            return "expected exit status 1 or 2, got %d" % proc.returncode
        lines = err.split("\n")
        if lines and lines[-1] == "":
            lines.pop()
        if len(lines) != 1 or not lines[0].strip():
            return "expected exactly one line on stderr, got %d: %r" % (len(lines), err[:600])
        # Paths are the user's: the length that matters is what the program adds to them, so the
        # corpus folder counts as one word wherever the clone lives.
        judged = lines[0]
        for folder in sorted({os.path.abspath(work), work} if work else set(), key=len, reverse=True):
            judged = judged.replace(folder, "DIR")
        if len(judged) > 400:
            return "the error line is %d characters long without the corpus path (unreadable): %r..." % (
                len(judged), judged[:300])
        if case["mention"] and case["mention"].lower() not in lines[0].lower():
            return "the error does not mention %r: %s" % (case["mention"], lines[0])
        return None
    if proc.returncode != 0:
        return "expected success, got status %d: %s" % (proc.returncode, err[:600])
    for s in case["stdout_has"]:
        if s not in out:
            return "stdout lacks %r: %r" % (s, out[:300])
    return None


def main(argv):
    if len(argv) < 3:
        sys.stderr.write("usage: run_hostile.py CLI WORK_DIR [--timeout S] [--only SUBSTRING]\n")
        return 2
    cli, work = argv[1], argv[2]
    timeout = 20.0
    only = None
    rest = argv[3:]
    while rest:
        if rest[0] == "--timeout":
            timeout = float(rest[1])
        elif rest[0] == "--only":
            only = rest[1]
        rest = rest[2:]
    cases = make_corpus.build(work)
    failures, skipped, passed = [], [], 0
    print("hostile corpus: %d cases, uid %d, cli %s, work %s" % (len(cases), os.geteuid(), cli, work))
    env = dict(os.environ)
    env.setdefault("EMBEDSCOPE_HF_OFFLINE", "1")
    for case in cases:
        if only and only not in case["name"]:
            continue
        if case["note"]:
            skipped.append("%s (%s)" % (case["name"], case["note"]))
            continue
        start = time.monotonic()
        try:
            proc = subprocess.run([cli] + case["args"], stdin=subprocess.DEVNULL, capture_output=True,
                                  timeout=timeout, env=env)
        except subprocess.TimeoutExpired:
            failures.append("%s: no answer within %g s (hang)" % (case["name"], timeout))
            print("FAIL " + failures[-1], flush=True)
            continue
        seconds = time.monotonic() - start
        why = check(case, proc, work)
        if why:
            failures.append("%s: %s" % (case["name"], why))
            print("FAIL %-45s %5.2fs  %s" % (case["name"], seconds, why[:600]), flush=True)
        else:
            passed += 1
            first = proc.stderr.decode("utf-8", "replace").strip().split("\n")[0]
            print("ok   %-45s %5.2fs  %s" % (case["name"], seconds, first[:110]), flush=True)
    for s in skipped:
        print("skip " + s)
    for f in failures:
        print("FAIL " + f)
    print("%d passed, %d failed, %d skipped" % (passed, len(failures), len(skipped)))
    return 1 if failures else 0


if __name__ == "__main__":
    sys.exit(main(sys.argv))
