"""Pin a semester to a tag or branch (``make pin REF=fall-2027``).

Sets ``repository.branch`` in ``_config.yml`` (the launch buttons' branch) and rewrites the
install address ``git+<repository.url>@<old>`` to ``@<REF>`` in every notebook's Colab cell, the
template, README.md and the front pages under book/, so that what a student installs on Colab is
the code the notebooks were executed with. Commit the result, tag it, and push the tag.
"""

from __future__ import annotations

import argparse
import json
import re
import sys
from pathlib import Path

import yaml

ROOT = Path(__file__).resolve().parents[1]


def pin(ref: str, root: Path = ROOT) -> list[Path]:
    """Rewrite every install address to ``ref``; returns the files changed."""
    if not re.fullmatch(r"[\w./-]+", ref):
        raise ValueError(f"Invalid ref: {ref!r} (a tag or branch name)")
    config_path = root / "_config.yml"
    config = config_path.read_text()
    repository = yaml.safe_load(config)["repository"]
    old = f"git+{repository['url']}@{repository['branch']}"
    new = f"git+{repository['url']}@{ref}"
    changed = []
    pinned = re.sub(
        r"(?m)^(repository:\n(?:  .*\n)*?  branch: ).*$", lambda m: m.group(1) + ref, config
    )
    if pinned != config:
        config_path.write_text(pinned)
        changed.append(config_path)
    pages = [root / "README.md", *sorted((root / "book").glob("*.md"))]
    for path in [*sorted((root / "notebooks").glob("*.ipynb")), *pages]:
        text = path.read_text()
        if old in text:
            if path.suffix == ".ipynb":  # only the source, never the stored outputs
                nb = json.loads(text)
                for cell in nb["cells"]:
                    cell["source"] = [line.replace(old, new) for line in cell["source"]]
                path.write_text(json.dumps(nb, indent=1, ensure_ascii=False) + "\n")
            else:
                path.write_text(text.replace(old, new))
            changed.append(path)
    return changed


def main() -> int:
    parser = argparse.ArgumentParser(description=__doc__)
    parser.add_argument("ref", help="the tag or branch students install from")
    args = parser.parse_args()
    for path in pin(args.ref):
        print(f"pinned {path.relative_to(ROOT)}")
    return 0


if __name__ == "__main__":
    sys.exit(main())
