"""`import visionxl` stays light: the heavy standard modules (typing, pathlib, html, base64)
load when the part that needs them is first used, never at import (docs/BENCHMARKS.md has the
time; this test keeps the reason for it from coming back unnoticed)."""

from __future__ import annotations

import json
import subprocess
import sys

HEAVY = ["typing", "pathlib", "html", "base64", "visionxl.types"]


def loaded_after(code: str) -> dict[str, bool]:
    probe = f"import sys\n{code}\nimport json\nprint(json.dumps({{m: m in sys.modules for m in {HEAVY!r}}}))"
    out = subprocess.run([sys.executable, "-c", probe], capture_output=True, text=True, check=True)
    loaded: dict[str, bool] = json.loads(out.stdout)
    return loaded


def test_import_loads_none_of_the_heavy_modules() -> None:
    assert loaded_after("import visionxl") == {m: False for m in HEAVY}


def test_visionxl_types_loads_on_first_use_by_every_spelling() -> None:
    for code in ["import visionxl; visionxl.types.Size", "from visionxl import types", "import visionxl.types"]:
        assert loaded_after(code)["visionxl.types"], code
    probe = "import visionxl; print(visionxl.types.GenerateParams.__name__, 'types' in visionxl.__all__)"
    out = subprocess.run([sys.executable, "-c", probe], capture_output=True, text=True, check=True)
    assert out.stdout.split() == ["GenerateParams", "True"]


def test_an_unknown_attribute_is_still_an_attribute_error() -> None:
    import visionxl

    try:
        visionxl.no_such_name  # type: ignore[attr-defined]
    except AttributeError as e:
        assert "no_such_name" in str(e)
    else:
        raise AssertionError("no AttributeError")


def test_the_type_checking_switch_is_not_a_public_name() -> None:
    import visionxl
    import visionxl.exceptions
    import visionxl.sweep

    for module in (visionxl, visionxl.exceptions, visionxl.sweep):
        assert not hasattr(module, "TYPE_CHECKING"), module.__name__
