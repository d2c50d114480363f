"""Sweeps: what ``Client.sweep`` and ``AsyncClient.sweep`` return.

A sweep is one prompt with up to three settings varied (``vary={"guidance_scale": [7, 10, 13]}``);
every cell is validated and the whole grid priced before anything is sent, one seed is shared
by every cell unless you set one, and the result comes with a labelled contact sheet::

    result = client.sweep(
        "a lighthouse at dusk",
        vary={"guidance_scale": [7, 10, 13], "num_inference_steps": [20, 40]},
        size="512x512",
    )
    print(result.seed, result.credits, result.sheet)
    for cell in result.cells:
        print(cell.label, cell.generation or cell.error)

``visionxl.plan_sweep(...)`` returns the plan (cells, price, seed) as a dict without sending
anything.
"""

from __future__ import annotations

from .exceptions import VisionXLError

# `import visionxl` stays light: typing, pathlib, html and base64 load when a sweep is made or
# shown, not at import (docs/BENCHMARKS.md, "Python import time").
TYPE_CHECKING = False
if TYPE_CHECKING:
    from pathlib import Path
    from typing import Any, Dict, List, Optional
del TYPE_CHECKING  # not a public name of the package

__all__ = ["SweepCell", "SweepResult"]


class SweepCell:
    """One cell of a sweep: its settings and its generation, or the exception it ended with."""

    __slots__ = ("index", "coords", "label", "settings", "credits", "resumed", "files", "generation", "error")

    def __init__(self, info: Dict[str, Any], outcome: object) -> None:
        self.index: int = info["index"]
        #: Column, row and sheet.
        self.coords: List[int] = list(info["coords"])
        #: ``"guidance_scale=7, num_inference_steps=20"``.
        self.label: str = info["label"]
        #: The swept settings of this cell by axis name.
        self.settings: Dict[str, Any] = dict(info["settings"])
        #: The cell's price in credits.
        self.credits: int = info["credits"]
        #: True when an earlier run in the same directory already paid for it.
        self.resumed: bool = info["resumed"]
        #: The saved image files.
        from pathlib import Path

        self.files: List[Path] = [Path(f) for f in info["files"]]
        #: The generation (a ``SyncGeneration`` or ``AsyncGeneration``), or None.
        self.generation: Any = None if isinstance(outcome, BaseException) else outcome
        #: The exception the cell ended with, or None.
        self.error: Optional[VisionXLError] = outcome if isinstance(outcome, VisionXLError) else None

    @property
    def ok(self) -> bool:
        """True when the cell has its generation."""
        return self.generation is not None and self.error is None

    def __repr__(self) -> str:
        state = "ok" if self.ok else f"error={getattr(self.error, 'code', None)!r}"
        return f"SweepCell({self.label!r}, {state})"


class SweepResult:
    """What a sweep did: ``cells`` (in plan order), ``credits``, ``seed``, ``sheet``.

    In Jupyter it shows as its contact sheet.
    """

    def __init__(
        self, summary: Dict[str, Any], outcomes: List[object], sheet_error: Optional[VisionXLError] = None
    ) -> None:
        #: The plan that ran (axes, cells, price) as a dict.
        self.plan: Dict[str, Any] = summary["plan"]
        #: The seed every cell used (None when ``seed`` was an axis).
        self.seed: Optional[int] = summary["seed"]
        #: True when the seed was chosen for the sweep.
        self.seed_chosen: bool = summary["seed_chosen"]
        #: Credits of every cell that has its generation (this run or an earlier one).
        self.credits: int = summary["credits"]
        #: Credits paid in this run.
        self.credits_spent: int = summary["credits_spent"]
        #: The contact sheets (one per value of a third axis).
        from pathlib import Path

        self.sheets: List[Path] = [Path(p) for p in summary["sheets"]]
        #: The ``index.html`` linking every cell to its image and sidecar.
        self.index_html: Optional[Path] = Path(summary["index_html"]) if summary["index_html"] else None
        #: Why the contact sheet could not be written (the cells are saved regardless).
        self.sheet_error: Optional[VisionXLError] = sheet_error
        #: Every cell, in plan order (first axis fastest).
        self.cells: List[SweepCell] = [SweepCell(c, o) for c, o in zip(summary["cells"], outcomes)]

    @property
    def sheet(self) -> Optional[Path]:
        """The (first) contact sheet's path."""
        return self.sheets[0] if self.sheets else None

    @property
    def failed(self) -> List[SweepCell]:
        """The cells that have no generation."""
        return [c for c in self.cells if not c.ok]

    def _repr_png_(self) -> Optional[bytes]:
        """Jupyter: the contact sheet."""
        return self.sheet.read_bytes() if self.sheet else None

    def _repr_html_(self) -> str:
        """Jupyter: a line of facts above the contact sheets."""
        import base64
        import html

        facts = html.escape(
            f"{len(self.cells)} cells, {self.credits} credits, seed {self.seed if self.seed is not None else 'per cell'}"
        )
        images = "".join(
            f'<img src="data:image/png;base64,{base64.b64encode(p.read_bytes()).decode()}">'
            for p in self.sheets
            if p.exists()
        )
        return f"<div><p>{facts}</p>{images}</div>"

    def __repr__(self) -> str:
        return (
            f"SweepResult(cells={len(self.cells)}, failed={len(self.failed)}, credits={self.credits}, "
            f"seed={self.seed}, sheet={str(self.sheet) if self.sheet else None!r})"
        )
