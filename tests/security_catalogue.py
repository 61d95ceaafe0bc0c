#!/usr/bin/env python3
"""Checks docs/security.md, the attack catalogue, against the test binaries.

usage: security_catalogue.py --doc docs/security.md --source-dir SRC [--min-cases 40] BINARY...

Every table row whose first cell is SEC-NN is a case. The last cell cites tests, one per
"<br>"-separated part, as `Suite.Test` (a ctest name) followed by its `tests/...cpp` file.
Fails (exit 1) when:
  - there are fewer than --min-cases cases, or an id is repeated or out of sequence;
  - a row cites no test, or a part does not pair one test with one source file;
  - a cited file does not exist, or does not contain the test's name;
  - a cited test is not among the ctest names of the binaries' --gtest_list_tests output
    (named the way CMake's gtest_discover_tests names them: a parametrized case by its
    printed value, DISABLED_ dropped);
  - a cited test is disabled but the row is not marked **OPEN**.
"""
import argparse
import os
import re
import subprocess
import sys

CASE_ROW = re.compile(r"^\|\s*(SEC-\d+)\s*\|")
BACKTICKED = re.compile(r"`([^`]+)`")
GET_PARAM = re.compile(r"/[0-9]+[ #]+GetParam\(\) = ")


def ctest_names(binary):
    """{ctest name: disabled} as gtest_discover_tests (CMake 3.25) derives them."""
    out = subprocess.run([binary, "--gtest_list_tests"], check=True, capture_output=True,
                         text=True, timeout=120).stdout
    names = {}
    suite = pretty_suite = ""
    for line in out.splitlines():
        if not line.strip() or "gtest_main.cc" in line:
            continue
        if not line.startswith("  "):
            suite = re.sub(r"\.( *#.*)?$", "", line)
            pretty_suite = re.sub(r"^DISABLED_", "", suite)
            continue
        test = line.strip()
        if "#" in test:
            pretty = GET_PARAM.sub("/", test)
        else:
            pretty = re.sub(r" +#.*", "", test)
        pretty = re.sub(r"^DISABLED_", "", pretty)
        bare = re.sub(r" +#.*", "", test)
        disabled = suite.startswith("DISABLED_") or bare.startswith("DISABLED_")
        names[pretty_suite + "." + pretty] = disabled
    return names


def cells(line):
    parts = line.strip().strip("|").split("|")
    return [p.strip() for p in parts]


def main():
    ap = argparse.ArgumentParser()
    ap.add_argument("--doc", required=True)
    ap.add_argument("--source-dir", required=True)
    ap.add_argument("--min-cases", type=int, default=40)
    ap.add_argument("binaries", nargs="+")
    args = ap.parse_args()

    known = {}
    for binary in args.binaries:
        if not os.access(binary, os.X_OK):
            print(f"{binary}: not built")
            return 1
        known.update(ctest_names(binary))

    problems = []
    ids = []
    cited = 0
    covered_by_new = 0
    with open(args.doc, encoding="utf-8") as doc:
        for number, line in enumerate(doc, 1):
            m = CASE_ROW.match(line)
            if not m:
                continue
            case = m.group(1)
            where = f"{args.doc}:{number}: {case}"
            ids.append(case)
            row = cells(line)
            if len(row) < 4:
                problems.append(f"{where}: expected 4 columns (id, attack, outcome, tests)")
                continue
            parts = [p for p in re.split(r"<br\s*/?>", row[-1]) if p.strip()]
            if not parts:
                problems.append(f"{where}: cites no test")
            for part in parts:
                tokens = BACKTICKED.findall(part)
                files = [t for t in tokens if re.search(r"\.(cpp|hpp|py|cmake)$", t)]
                tests = [t for t in tokens if t not in files]
                if len(tests) != 1 or len(files) != 1:
                    problems.append(f"{where}: '{part.strip()}' must pair one `Suite.Test` "
                                    "with one `tests/...cpp`")
                    continue
                test, source = tests[0], files[0]
                cited += 1
                if source.endswith("security_test.cpp"):
                    covered_by_new += 1
                if test not in known:
                    problems.append(f"{where}: {test} is not a test of the given binaries")
                elif known[test] and "**OPEN**" not in line:
                    problems.append(f"{where}: {test} is disabled but the row is not **OPEN**")
                path = os.path.join(args.source_dir, source)
                if not os.path.isfile(path):
                    problems.append(f"{where}: {source} does not exist")
                    continue
                # The test's own name (no suite, no parameter) must be in the file it cites.
                name = test.split(".", 1)[1].split("/", 1)[0] if "." in test else test
                with open(path, encoding="utf-8") as f:
                    text = f.read()
                if not re.search(r"\b(DISABLED_)?" + re.escape(name) + r"\b", text):
                    problems.append(f"{where}: {source} does not define {name}")

    for i, case in enumerate(ids, 1):
        if case != f"SEC-{i:02d}":
            problems.append(f"{args.doc}: case {i} is {case}, expected SEC-{i:02d} (in order)")
            break
    if len(ids) < args.min_cases:
        problems.append(f"{args.doc}: {len(ids)} cases, at least {args.min_cases} required")

    for p in problems:
        print(p)
    with open(args.doc, encoding="utf-8") as doc:
        open_cases = sum(1 for line in doc if CASE_ROW.match(line) and "**OPEN**" in line)
    print(f"{len(ids)} cases ({open_cases} open), {cited} test citations "
          f"({covered_by_new} to tests/integration/security_test.cpp), "
          f"{len(problems)} problem(s)")
    return 1 if problems else 0


if __name__ == "__main__":
    sys.exit(main())
