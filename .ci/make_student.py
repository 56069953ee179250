"""Write student versions of the notebooks (``make student``).

Cells tagged ``solution`` are dropped, so each exercise is left with its stub (which raises
NotImplementedError) and its checker (which then says "not implemented yet"). Outputs and
execution counts are cleared with nbstripout, so students start from a clean notebook.
"""

import argparse
import shutil
import subprocess
import sys
from pathlib import Path


def make_student(notebook: Path, out_dir: Path) -> Path:
    out_dir.mkdir(parents=True, exist_ok=True)
    target = out_dir / notebook.name
    shutil.copyfile(notebook, target)
    subprocess.run(
        [sys.executable, "-m", "nbstripout", "--drop-tagged-cells=solution", str(target)],
        check=True,
    )
    return target


def main() -> int:
    parser = argparse.ArgumentParser(description=__doc__)
    parser.add_argument("notebooks", nargs="+", type=Path)
    parser.add_argument("--out", type=Path, default=Path("student"))
    args = parser.parse_args()
    for notebook in args.notebooks:
        print(f"{notebook} -> {make_student(notebook, args.out / 'notebooks')}")
    return 0


if __name__ == "__main__":
    sys.exit(main())
