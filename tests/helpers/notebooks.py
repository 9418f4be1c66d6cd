"""Run a notebook of ``notebooks/`` top to bottom (nbclient), failing on any cell's error."""

from __future__ import annotations

from pathlib import Path

import nbformat
from nbclient import NotebookClient

NOTEBOOKS = Path(__file__).resolve().parents[2] / "notebooks"


def run_notebook(name: str, workdir: Path, *, timeout: int = 300) -> nbformat.NotebookNode:
    """Execute ``notebooks/<name>`` with ``workdir`` as its folder; assert no cell raised
    (the error's name and message are shown) and return the executed notebook."""
    nb = nbformat.read(NOTEBOOKS / name, as_version=4)
    NotebookClient(
        nb, timeout=timeout, kernel_name="python3", resources={"metadata": {"path": str(workdir)}}
    ).execute()
    errors = [
        f"{o.get('ename')}: {o.get('evalue')}"
        for c in nb.cells
        if c.cell_type == "code"
        for o in c.get("outputs", [])
        if o.get("output_type") == "error"
    ]
    assert not errors, errors
    return nb
