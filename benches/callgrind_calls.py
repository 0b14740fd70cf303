"""Instructions per call of a function, from a callgrind output file: the inclusive cost of every
call to a function whose name contains PATTERN, divided by the number of those calls.

    python3 benches/callgrind_calls.py CALLGRIND_OUT PATTERN

Prints `calls instructions_per_call`. Used by benches/reader.sh.
"""
import re
import sys

path, pattern = sys.argv[1], sys.argv[2]
names = {}
callee = None
pending = None
calls = cost = 0
with open(path, errors="replace") as f:
    for line in f:
        m = re.match(r"^(c?fn)=\((\d+)\)(?: (.*))?$", line.rstrip("\n"))
        if m:
            kind, ident, name = m.groups()
            if name:
                names[ident] = name
            callee = names.get(ident, "") if kind == "cfn" else None
            continue
        m = re.match(r"^calls=(\d+)", line)
        if m and callee is not None:
            pending = (callee, int(m.group(1)))
            continue
        if pending:
            fn, n = pending
            parts = line.split()
            if pattern in fn and "{{closure}}" not in fn and len(parts) > 1:
                calls += n
                cost += int(parts[1])
            pending = None
if calls == 0:
    sys.exit(f"no call to a function named like {pattern!r} in {path}")
print(calls, round(cost / calls))
