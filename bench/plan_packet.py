"""Filing packet benchmark: PDF and .docx generation for a large enterprise.

Builds a PacketData with 100 checklist items and a 2,000-person roster (plans.packet.sample)
and prints the median of 5 renders and the size of each file. No database is touched.

Usage (from the repository root):
    .venv/bin/python bench/plan_packet.py [--checklist 100] [--roster 2000] [--repeat 5]
    .venv/bin/python bench/plan_packet.py --out var/packet   # also writes sample.pdf/.docx
"""

from __future__ import annotations

import argparse
import os
import statistics
import sys
import time
from collections.abc import Callable
from pathlib import Path

sys.path.insert(0, str(Path(__file__).resolve().parent.parent))
os.environ.setdefault("DJANGO_SETTINGS_MODULE", "tongzhou.settings")

import django

django.setup()

from django.utils import translation  # noqa: E402

from plans.packet.data import PacketData  # noqa: E402
from plans.packet.docx import render_docx  # noqa: E402
from plans.packet.pdf import render_pdf  # noqa: E402
from plans.packet.sample import sample_packet  # noqa: E402


def _measure(
    render: Callable[[PacketData], bytes], data: PacketData, repeat: int
) -> tuple[float, bytes]:
    times = []
    output = b""
    for _ in range(repeat):
        start = time.perf_counter()
        output = render(data)
        times.append(time.perf_counter() - start)
    return statistics.median(times), output


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__)
    parser.add_argument("--checklist", type=int, default=100)
    parser.add_argument("--roster", type=int, default=2000)
    parser.add_argument("--repeat", type=int, default=5)
    parser.add_argument("--out", type=Path, default=None)
    args = parser.parse_args()
    translation.activate("zh-hans")
    data = sample_packet(checklist=args.checklist, roster=args.roster)
    print(
        f"packet: {args.checklist} checklist items, {args.roster} roster rows,"
        f" median of {args.repeat}"
    )
    for label, render, suffix in (("PDF", render_pdf, "pdf"), (".docx", render_docx, "docx")):
        median, output = _measure(render, data, args.repeat)
        print(f"{label:6} {median:7.2f} s  {len(output) / 1024:8.0f} KiB")
        if args.out:
            args.out.mkdir(parents=True, exist_ok=True)
            (args.out / f"sample.{suffix}").write_bytes(output)


if __name__ == "__main__":
    main()
