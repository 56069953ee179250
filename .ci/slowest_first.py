"""Print the given notebooks, slowest first (by the run time ``make execute`` recorded in each).

``make nbval`` runs the notebooks on two xdist workers, one notebook at a time each: handing out
the longest first keeps one worker from starting a long notebook when the other is nearly done.
"""

import json
import sys


def seconds(path: str) -> float:
    with open(path, encoding="utf-8") as f:
        return json.load(f)["metadata"].get("nnlib", {}).get("execution_seconds", 0.0)


if __name__ == "__main__":
    print(" ".join(sorted(sys.argv[1:], key=seconds, reverse=True)))
