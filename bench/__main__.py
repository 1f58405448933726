"""`make bench`: run every benchmark and write docs/benchmarks.md."""
from __future__ import annotations

import importlib
import os
import sys
import time
import traceback

from bench.common import Infrastructure, write_report
from shared.config import REPO_ROOT

BENCHMARKS = ["bench.intake", "bench.relay", "bench.consumers", "bench.latency", "bench.newsletter",
              "bench.growth", "bench.webhooks", "bench.sqlite"]


def main(selected: list[str]) -> int:
    started = time.time()
    load_at_start = os.getloadavg()[0]
    infra = Infrastructure()
    results, failures = [], []
    try:
        for name in BENCHMARKS:
            if selected and name.split(".")[-1] not in selected:
                continue
            try:
                module = importlib.import_module(name)
            except ModuleNotFoundError as missing:
                if missing.name == name:
                    continue
                raise
            print(f"== {name}", flush=True)
            try:
                result = module.run(infra)
                results.append(result)
                print(f"   {result.measured} vs {result.baseline}: ratio {result.ratio:.2f} (goal {result.goal})",
                      flush=True)
            except Exception:  # noqa: BLE001 - report and go on with the next benchmark
                traceback.print_exc()
                failures.append(name)
    finally:
        infra.close()
    results.sort(key=lambda r: r.number)
    write_report(results, REPO_ROOT / "docs" / "benchmarks.md", started, load_at_start)
    print(f"wrote docs/benchmarks.md ({len(results)} figures)")
    return 1 if failures else 0


if __name__ == "__main__":
    sys.exit(main(sys.argv[1:]))
