"""A3 print of the whole demo city (goal < 10 s) and its peak memory.

Builds ``onemap_bench_print`` with the demo city (≈ 3,000 features in the 8 categories), then,
in a fresh child process (so its peak RSS, ``ru_maxrss``, belongs to the print alone), prints
湛江市 on A3 landscape with all 8 layers and the coordinate grid: PDF cold (first print of the
process: font loading), PDF warm, PNG warm; then the peak of Python allocations (tracemalloc) of
one more PDF print. The reduced CJK font (``printing/fonts.py::core_font``) is built once per
machine; that time is reported apart.

Run: ``.venv/bin/python bench/print.py``
"""

from __future__ import annotations

import json
import resource
import subprocess
import sys
import time
import tracemalloc
from pathlib import Path

sys.path.insert(0, str(Path(__file__).resolve().parent.parent))
from bench.common import bench_database

GOAL_S = 10.0


def child(url: str) -> None:
    from gis_onemap.db.engine import make_engine, make_session_factory
    from gis_onemap.printing.fonts import core_font, find_cjk_font
    from gis_onemap.printing.service import PrintRequest, print_map
    from gis_onemap.settings import Settings

    settings = Settings(database_url=url)
    engine = make_engine(settings)
    out: dict[str, float] = {}
    t0 = time.perf_counter()  # once per machine: the reduced CJK font (fonts.core_font)
    core_font(find_cjk_font(settings.print_font_file))
    out["font_cache_s"] = time.perf_counter() - t0
    with make_session_factory(engine)() as session:
        req = PrintRequest(region_code="440800", paper="A3", orientation="landscape", grid=True)
        for name, fmt in (("pdf_cold_s", "pdf"), ("pdf_warm_s", "pdf"), ("png_warm_s", "png")):
            req.format = fmt  # type: ignore[assignment]
            t0 = time.perf_counter()
            rendered = print_map(session, settings, req)
            out[name] = time.perf_counter() - t0
            out[name.replace("_s", "_bytes")] = len(rendered.content)
        out["peak_rss_mb"] = resource.getrusage(resource.RUSAGE_SELF).ru_maxrss / 1024
        req.format = "pdf"
        tracemalloc.start()
        print_map(session, settings, req)
        out["python_peak_mb"] = tracemalloc.get_traced_memory()[1] / 2**20
        tracemalloc.stop()
    engine.dispose()
    print(json.dumps(out))


def main() -> int:
    from gis_onemap.demo import load_demo_if_empty
    from gis_onemap.settings import Settings

    url = bench_database("onemap_bench_print")
    print(load_demo_if_empty(Settings(database_url=url)))
    proc = subprocess.run(
        [sys.executable, __file__, "--child", url], capture_output=True, text=True, check=True
    )
    r = json.loads(proc.stdout.strip().splitlines()[-1])
    print(
        f"A3 landscape, 湛江市, 8 layers + grid: PDF cold {r['pdf_cold_s']:.2f} s, "
        f"warm {r['pdf_warm_s']:.2f} s ({r['pdf_warm_bytes'] / 1e6:.2f} MB); "
        f"PNG warm {r['png_warm_s']:.2f} s ({r['png_warm_bytes'] / 1e6:.2f} MB)"
    )
    print(f"font cache (built once per machine, then read): {r['font_cache_s']:.2f} s")
    print(
        f"peak RSS {r['peak_rss_mb']:.0f} MB (whole process: Python, GEOS, matplotlib), "
        f"peak Python allocations of one print {r['python_peak_mb']:.0f} MB"
    )
    ok = r["pdf_cold_s"] < GOAL_S and r["png_warm_s"] < GOAL_S
    print(f"goal: an A3 print < {GOAL_S:.0f} s — {'met' if ok else 'NOT met'}")
    return 0 if ok else 1


if __name__ == "__main__":
    if len(sys.argv) > 2 and sys.argv[1] == "--child":
        child(sys.argv[2])
    else:
        sys.exit(main())
