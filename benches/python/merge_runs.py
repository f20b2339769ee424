"""Merges the Markdown tables of several runs of ``report`` or ``compare.py`` into one table
of medians: every numeric cell (``12.3 µs``, ``4.5 ms``, ``1.23x``) becomes the median of that
cell over the runs, followed by the range ``[min–max]``; a text cell that differs between
runs becomes ``mixed (k/N yes)``. Rows are matched by section heading and operation name.

    python benches/python/merge_runs.py run1.md run2.md run3.md
"""

from __future__ import annotations

import re
import statistics
import sys
from collections import OrderedDict

NUM = re.compile(r"^([0-9.]+) ?(µs|ms|x)$")


def to_value(cell: str) -> tuple[float, str] | None:
    m = NUM.match(cell.strip())
    if not m:
        return None
    v, unit = float(m.group(1)), m.group(2)
    return (v * 1000, "us") if unit == "ms" else (v, "us" if unit == "µs" else "x")


def fmt(v: float, unit: str) -> str:
    if unit == "x":
        return f"{v:.2f}x"
    return f"{v:.1f} µs" if v < 10_000 else f"{v / 1000:.2f} ms"


def row_key(first: str) -> str:
    # "bulk_import 1000 contacts (Flame: ..., 2180/s; ...)" -> "bulk_import 1000 contacts"
    if not first.startswith("bulk_import"):
        return first
    return re.sub(r"\s*\(.*\)\s*$", "", first).strip()


def main(paths: list[str]) -> int:
    sections: "OrderedDict[str, dict]" = OrderedDict()
    for path in paths:
        heading, header = "", None
        for line in open(path, encoding="utf-8"):
            line = line.rstrip("\n")
            if line.startswith("#"):
                heading, header = line, None
                continue
            if not line.startswith("|"):
                continue
            cells = [c.strip() for c in line.strip("|").split("|")]
            if header is None:
                header = cells
                sec = sections.setdefault(heading, {"header": header, "rows": OrderedDict()})
                continue
            if set(line) <= set("|-: "):
                continue
            sec = sections[heading]
            sec["rows"].setdefault(row_key(cells[0]), []).append(cells)
    for heading, sec in sections.items():
        print(heading)
        print()
        print("| " + " | ".join(sec["header"]) + " |")
        print("|" + "|".join("---" for _ in sec["header"]) + "|")
        for key, runs in sec["rows"].items():
            out = [f"{key} (runs: {len(runs)})"]
            for col in range(1, len(sec["header"])):
                cells = [r[col] for r in runs if col < len(r)]
                values = [to_value(c) for c in cells]
                if values and all(values):
                    unit = values[0][1]
                    nums = [v[0] for v in values]
                    med = statistics.median(nums)
                    if len(nums) > 1:
                        out.append(f"{fmt(med, unit)} [{fmt(min(nums), unit)}–{fmt(max(nums), unit)}]")
                    else:
                        out.append(fmt(med, unit))
                elif len(set(cells)) <= 1:
                    out.append(cells[0] if cells else "")
                else:
                    yes = sum("yes" in c for c in cells)
                    out.append(f"mixed ({yes}/{len(cells)} yes)")
            print("| " + " | ".join(out) + " |")
        print()
    return 0


if __name__ == "__main__":
    raise SystemExit(main(sys.argv[1:]))
