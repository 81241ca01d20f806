#!/usr/bin/env python3
"""Requirement traceability: which tests prove which requirement.

Tests name the requirements they prove with a tag:
  C++ (GoogleTest)  `// Requirements: R1, R6` at the end of the TEST line or on
                    the line just above it;
  scripts (*.sh)    a `# Requirements: R1, R6` line among the first 40 lines.
The requirements are tools/compliance/requirements.tsv (DESIGN.md's R1-R12 and
the parts later issues made their own). GoogleTest tags are resolved against what
CTest knows of the build directory (`ctest --show-only=json-v1`), so a tag on
a test that no longer exists is an error rather than a silent claim; a
script's test name follows from its path (tests/CMakeLists.txt registers
every tests/DIR/NAME.sh as DIR.NAME.sh).

  trace.py --build BUILD --check            fail when a requirement has no test,
                                            a tag is unknown or names no test,
                                            or docs/compliance.md is stale
  trace.py --build BUILD --write            regenerate docs/compliance.md
  trace.py --build BUILD --results JUNIT --output FILE
                                            the same document with each test's
                                            result from a ctest --output-junit run
"""
import argparse
import json
import os
import re
import subprocess
import sys
import xml.etree.ElementTree as ET

ROOT = os.path.dirname(os.path.dirname(os.path.dirname(os.path.abspath(__file__))))
REQUIREMENTS = os.path.join(ROOT, "tools/compliance/requirements.tsv")
DOC = os.path.join(ROOT, "docs/compliance.md")
TAG = re.compile(r"(?://|#)\s*Requirements:\s*(.*)$")
TEST_MACRO = re.compile(r"^\s*TEST(?:_F|_P)?\(\s*(\w+)\s*,\s*(\w+)\s*\)")
SCRIPT_HEAD_LINES = 40


def read_requirements():
    reqs = []
    with open(REQUIREMENTS, encoding="utf-8") as f:
        for number, line in enumerate(f, 1):
            line = line.rstrip("\n")
            if not line or line.startswith("#"):
                continue
            fields = line.split("\t")
            if len(fields) != 3:
                sys.exit(f"{REQUIREMENTS}:{number}: want 3 tab-separated fields (id, requirement, what), got {len(fields)}")
            reqs.append({"id": fields[0], "requirement": fields[1], "what": fields[2]})
    return reqs


def parse_ids(text, where, errors, known):
    ids = [t for t in re.split(r"[\s,]+", text.strip()) if t]
    if not ids:
        errors.append(f"{where}: a Requirements tag names no requirement")
    for i in ids:
        if i not in known:
            errors.append(f"{where}: unknown requirement '{i}' (tools/compliance/requirements.tsv has {', '.join(sorted(known, key=sort_key))})")
    return [i for i in ids if i in known]


def sort_key(req_id):
    m = re.match(r"R(\d+)(\w*)", req_id)
    return (int(m.group(1)), m.group(2)) if m else (999, req_id)


def collect_tags(known, errors):
    """Returns [(requirement ids, kind, key, file:line)]: kind 'gtest' with key
    'Suite.Name', or kind 'script' with key the script's path from the root."""
    tags = []
    for dirpath, dirnames, filenames in os.walk(os.path.join(ROOT, "tests")):
        dirnames[:] = [d for d in dirnames if not d.startswith("fuzz_corpus")]
        for name in sorted(filenames):
            path = os.path.join(dirpath, name)
            rel = os.path.relpath(path, ROOT)
            if name.endswith(".cc"):
                with open(path, encoding="utf-8", errors="replace") as f:
                    lines = f.read().split("\n")
                for i, line in enumerate(lines):
                    tag = TAG.search(line)
                    if not tag:
                        continue
                    where = f"{rel}:{i + 1}"
                    test = TEST_MACRO.match(line) or (TEST_MACRO.match(lines[i + 1]) if i + 1 < len(lines) else None)
                    if not test:
                        errors.append(f"{where}: a Requirements tag must end a TEST line or stand just above one")
                        continue
                    ids = parse_ids(tag.group(1), where, errors, known)
                    tags.append((ids, "gtest", f"{test.group(1)}.{test.group(2)}", where))
            elif name.endswith(".sh"):
                with open(path, encoding="utf-8", errors="replace") as f:
                    head = [next(f, "") for _ in range(SCRIPT_HEAD_LINES)]
                for i, line in enumerate(head):
                    tag = TAG.search(line)
                    if tag and line.lstrip().startswith("#"):
                        where = f"{rel}:{i + 1}"
                        tags.append((parse_ids(tag.group(1), where, errors, known), "script", rel, where))
    return tags


def ctest_tests(build):
    out = subprocess.run(["ctest", "--test-dir", build, "--show-only=json-v1"], check=True,
                         capture_output=True, text=True).stdout
    tests = []
    for t in json.loads(out)["tests"]:
        tests.append((t["name"], [os.path.relpath(a, ROOT) if os.path.isabs(a) else a for a in t.get("command", [])]))
    return tests


def resolve(tags, tests, errors):
    """requirement id -> sorted [(ctest name, where the tag is)]"""
    covered = {}
    for ids, kind, key, where in tags:
        if kind == "gtest":
            pattern = re.compile(r"(^|/)" + re.escape(key) + r"(/|$)")  # TEST_P: Prefix/Suite.Name/0
            names = [n for n, _ in tests if pattern.search(n)]
        else:
            # tests/CMakeLists.txt registers every tests/DIR/NAME.sh as DIR.NAME.sh
            # (a build may leave some out, e.g. the image tests under ASan), so a
            # script's name comes from its path and the doc is the same for every build.
            names = [key[len("tests/"):].replace("/", ".")]
        if not names:
            errors.append(f"{where}: tagged test {key} is not registered with CTest in the build directory")
        for i in ids:
            for n in names:
                covered.setdefault(i, set()).add((n, where.rsplit(":", 1)[0]))
    return {k: sorted(v) for k, v in covered.items()}


def junit_results(path):
    results = {}
    for case in ET.parse(path).getroot().iter("testcase"):
        status = case.get("status") or "run"
        if case.find("failure") is not None:
            status = "failed"
        elif case.find("skipped") is not None or status == "notrun":
            status = "skipped"
        else:
            status = "passed"
        results[case.get("name")] = status
    return results


def render(reqs, covered, results=None):
    out = ["# Compliance: requirements and the tests that prove them", "",
           "Generated by `tools/compliance/trace.py --build build --write` from the",
           "requirements in `tools/compliance/requirements.tsv` and the `Requirements:` tags",
           "on the tests; `compliance.traceability.sh` (part of `./run test`) fails when a",
           "requirement has no test, a tag names no registered test, or this file is stale.",
           "`./run test` writes the same table with each test's result of that run to",
           "`out/compliance.md`.", ""]
    out.append("| requirement | tests |" if results is None else "| requirement | tests | passed |")
    out.append("|---|---:|" if results is None else "|---|---:|---:|")
    for r in reqs:
        tests = covered.get(r["id"], [])
        if results is None:
            out.append(f"| [{r['id']}](#{r['id'].lower()}) | {len(tests)} |")
        else:
            passed = sum(1 for n, _ in tests if results.get(n) == "passed")
            out.append(f"| [{r['id']}](#{r['id'].lower()}) | {len(tests)} | {passed} |")
    out.append("")
    for r in reqs:
        out += [f"## {r['id']}", "", f"**Requirement:** {r['requirement']}", "",
                f"**What the appliance does:** {r['what']}", "", "Tests:", ""]
        tests = covered.get(r["id"], [])
        if not tests:
            out.append("- none")
        for name, source in tests:
            result = "" if results is None else f" — {results.get(name, 'not run')}"
            out.append(f"- `{name}` ({source}){result}")
        out.append("")
    return "\n".join(out)


def main():
    ap = argparse.ArgumentParser(description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter)
    ap.add_argument("--build", required=True)
    mode = ap.add_mutually_exclusive_group(required=True)
    mode.add_argument("--check", action="store_true")
    mode.add_argument("--write", action="store_true")
    mode.add_argument("--results")
    ap.add_argument("--output")
    args = ap.parse_args()

    errors = []
    reqs = read_requirements()
    known = {r["id"] for r in reqs}
    covered = resolve(collect_tags(known, errors), ctest_tests(args.build), errors)
    for r in reqs:
        if not covered.get(r["id"]):
            errors.append(f"{REQUIREMENTS}: {r['id']} has no test (tag one with 'Requirements: {r['id']}')")

    if args.results:
        if not args.output:
            ap.error("--results needs --output")
        with open(args.output, "w", encoding="utf-8") as f:
            f.write(render(reqs, covered, junit_results(args.results)) + "\n")
    elif args.write:
        with open(DOC, "w", encoding="utf-8") as f:
            f.write(render(reqs, covered) + "\n")
    else:
        want = render(reqs, covered) + "\n"
        have = open(DOC, encoding="utf-8").read() if os.path.exists(DOC) else ""
        if want != have:
            errors.append(f"{os.path.relpath(DOC, ROOT)} is stale: run tools/compliance/trace.py --build {args.build} --write")
    for e in errors:
        print(f"error: {e}", file=sys.stderr)
    if not errors:
        print(f"traceability ok: {len(reqs)} requirements, {sum(len(v) for v in covered.values())} (requirement, test) pairs")
    return 1 if errors else 0


if __name__ == "__main__":
    sys.exit(main())
