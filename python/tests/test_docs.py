"""The README's Python quickstart and examples, executed; docstrings and run-time signatures
checked against the parameter table. (The stubs' and `GenerateParams`' parameter lists are
generated from the table by visionxl-codegen, whose `--check` runs in scripts/test.sh.)"""

from __future__ import annotations

import ast
import asyncio
import inspect
import os
import re
import subprocess
import sys
from pathlib import Path
from typing import Any, Dict, List, Optional

import pytest

import visionxl
import visionxl.testing
from visionxl.testing import Emulator

from conftest import REPO

PACKAGE_README = REPO / "python" / "README.md"
TOP_README = REPO / "README.md"


def python_blocks(text: str) -> List[str]:
    return re.findall(r"^```python\n(.*?)^```", text, flags=re.S | re.M)


def quickstart_block(text: str) -> Optional[str]:
    """The first ```python block after the first heading that names Python."""
    lines = text.splitlines(keepends=True)
    for i, line in enumerate(lines):
        if line.startswith("#") and "python" in line.lower():
            blocks = python_blocks("".join(lines[i + 1 :]))
            return blocks[0] if blocks else None
    return None


def quickstart_source() -> tuple[Path, str]:
    """The top README's Python quickstart when it has one, else python/README.md's."""
    for readme in (TOP_README, PACKAGE_README):
        if readme.exists():
            block = quickstart_block(readme.read_text(encoding="utf-8"))
            if block:
                return readme, block
    pytest.fail("no Python quickstart in README.md or python/README.md")


@pytest.fixture
def emulated_env(
    monkeypatch: pytest.MonkeyPatch, tmp_path: Path, emulator: Emulator
) -> Emulator:
    """The README's environment: ONEMIN_API_KEY/ONEMIN_BASE_URL pointing at the emulator."""
    monkeypatch.setenv("ONEMIN_API_KEY", emulator.api_key)
    monkeypatch.setenv("ONEMIN_BASE_URL", emulator.base_url)
    monkeypatch.chdir(tmp_path)
    return emulator


def test_quickstart_runs(emulated_env: Emulator, tmp_path: Path) -> None:
    readme, code = quickstart_source()
    namespace: Dict[str, object] = {"__name__": "__quickstart__"}
    exec(compile(code, str(readme), "exec"), namespace)  # noqa: S102 - the point of the test
    generation = namespace["generation"]
    assert isinstance(generation, visionxl.Generation)
    paths = namespace["paths"]
    assert isinstance(paths, list) and paths and all(p.exists() for p in paths)
    assert all(p.parent == Path("out").resolve() or p.parent == Path("out") for p in paths)
    assert emulated_env.ledger().charges_for(generation.id) == 1


def test_every_readme_example_runs(emulated_env: Emulator) -> None:
    blocks = python_blocks(PACKAGE_README.read_text(encoding="utf-8"))
    assert len(blocks) >= 5
    namespace: Dict[str, object] = {"__name__": "__readme__"}
    for block in blocks:
        exec(compile(block, str(PACKAGE_README), "exec"), namespace)  # noqa: S102
    results = namespace["results"]
    assert isinstance(results, list) and len(results) == 8
    assert Path("castles.jsonl").exists()


def test_typed_example_runs(tmp_path: Path, emulator: Emulator) -> None:
    script = REPO / "python" / "examples" / "typed_usage.py"
    out = subprocess.run(
        [sys.executable, str(script), str(tmp_path)],
        capture_output=True,
        text=True,
        timeout=300,
        env={k: v for k, v in os.environ.items() if not k.startswith("ONEMIN_")},
    )
    assert out.returncode == 0, out.stderr
    assert "saved 3 images" in out.stdout


# --- run-time signatures and docstrings follow the parameter table -----------------------------

STUB = Path(visionxl.__file__).with_name("_native.pyi")


def stub_functions() -> Dict[str, List[ast.arguments]]:
    tree = ast.parse(STUB.read_text(encoding="utf-8"))
    found: Dict[str, List[ast.arguments]] = {}
    for node in ast.walk(tree):
        if isinstance(node, ast.ClassDef):
            for item in node.body:
                if isinstance(item, ast.FunctionDef):
                    found.setdefault(f"{node.name}.{item.name}", []).append(item.args)
        elif isinstance(node, ast.FunctionDef) and node in tree.body:
            found.setdefault(node.name, []).append(node.args)
    return found


@pytest.mark.parametrize(
    "obj",
    [
        visionxl.Client.generate,
        visionxl.AsyncClient.generate,
        visionxl.GenerateRequest,
        visionxl.validate,
    ],
)
def test_runtime_signature_of_generate_is_the_parameter_table(obj: Any) -> None:
    sig = inspect.signature(obj)  # from __text_signature__
    params = [p for p in sig.parameters.values() if p.name != "self"]
    assert params[0].name == "prompt"
    names = [p.name for p in params[1:]]
    assert set(names) == set(visionxl.PARAMETER_NAMES) - {"prompt"} | {"preset"}
    assert all(p.kind is inspect.Parameter.KEYWORD_ONLY for p in params[1:])
    assert sig.parameters["size"].default == "1024x1024" and sig.parameters["n"].default == 1


@pytest.mark.parametrize(
    "obj",
    [visionxl.GenerateRequest, visionxl.Client.generate, visionxl.AsyncClient.generate],
)
def test_docstrings_list_every_keyword(obj: object) -> None:
    doc = obj.__doc__ or ""
    for name in visionxl.PARAMETER_NAMES:
        assert re.search(rf"\b{name}\b", doc), (obj, name)
    assert "preset" in doc


def test_every_public_name_has_a_docstring() -> None:
    for module in (visionxl, visionxl.testing):
        for name in module.__all__:
            obj = getattr(module, name)
            if inspect.ismodule(obj) or isinstance(obj, (str, tuple, dict)):
                continue
            assert obj.__doc__ and obj.__doc__.strip(), f"{module.__name__}.{name}"
            if inspect.isclass(obj):
                for attr, member in vars(obj).items():
                    if attr.startswith("_") or not callable(getattr(obj, attr, None)):
                        if not attr.startswith("_") and isinstance(member, property):
                            assert member.__doc__, f"{name}.{attr}"
                        continue
                    assert getattr(obj, attr).__doc__, f"{name}.{attr}"


def test_help_shows_the_docs() -> None:
    text = visionxl.Client.__doc__ or ""
    assert "ONEMIN_API_KEY" in text and "budget" in text
    assert "GIL" in (visionxl.Client.generate.__doc__ or "")


def test_stubs_and_py_typed_are_installed() -> None:
    package = Path(visionxl.__file__).parent
    assert (package / "py.typed").exists()
    assert STUB.exists()
    stub_names = set(stub_functions()) | {
        n.name for n in ast.parse(STUB.read_text()).body if isinstance(n, ast.ClassDef)
    }
    import visionxl._native as native

    for name in dir(native):
        if name.startswith("_") or name.isupper():
            continue
        assert name in stub_names, f"_native.{name} has no stub"


def test_the_sync_client_works_inside_a_running_event_loop(client: visionxl.Client) -> None:
    async def main() -> visionxl.Generation:
        return client.generate("called from a coroutine", size="512x512")

    assert asyncio.run(main()).status == "SUCCESS"


def test_module_docstring_examples() -> None:
    import doctest

    failures, tried = doctest.testmod(visionxl, verbose=False)
    assert tried >= 3 and failures == 0


def public_callables() -> List[tuple[str, object]]:
    """Every public function, class and method of the extension, by name."""
    import visionxl._native as native

    found: List[tuple[str, object]] = []
    for name in dir(native):
        obj = getattr(native, name)
        if name.startswith("_") or name.isupper():
            continue
        found.append((name, obj))
        if inspect.isclass(obj):
            for attr, member in vars(obj).items():
                if callable(member) and not attr.startswith("_"):
                    found.append((f"{name}.{attr}", getattr(obj, attr)))
    return found


def test_signatures_show_real_defaults() -> None:
    """`help()` shows the real defaults: no `...` placeholders (pyo3 shows one for a default it
    cannot render), e.g. `upload_asset_bytes(data, file_name='asset.png')`."""
    shown = 0
    for name, obj in public_callables():
        try:
            sig = inspect.signature(obj)  # type: ignore[arg-type]
        except (TypeError, ValueError):
            continue  # a class without a constructor (results are made by the clients)
        shown += 1
        for p in sig.parameters.values():
            assert p.default is not Ellipsis, f"{name}{sig}"
    assert shown >= 20
    for cls in (visionxl.Client, visionxl.AsyncClient):
        assert inspect.signature(cls.upload_asset_bytes).parameters["file_name"].default == "asset.png"
    assert inspect.signature(visionxl.Violation).parameters["severity"].default == "error"


def test_estimate_credits_defaults_are_the_documented_ones() -> None:
    sig = inspect.signature(visionxl.estimate_credits)
    documented = {p.name: p.default for p in visionxl.PARAMETERS}
    assert list(sig.parameters) == ["size", "n"]
    assert sig.parameters["size"].default == documented["size"] == "1024x1024"
    assert str(sig.parameters["n"].default) == documented["n"] == "1"
    assert visionxl.estimate_credits() == visionxl.estimate_credits("1024x1024", 1) == 286
    with pytest.raises(visionxl.ValidationError) as info:
        visionxl.estimate_credits(None)  # type: ignore[arg-type]  # None is not "the default"
    assert [(v.field, v.code) for v in info.value.violations] == [("size", "wrong_type")]


@pytest.mark.parametrize("cls", [visionxl.Client, visionxl.AsyncClient])
def test_client_signature_is_the_stub_and_design(cls: type) -> None:
    sig = inspect.signature(cls)
    runtime = [(p.name, p.kind, p.default) for p in sig.parameters.values()]
    (stub,) = stub_functions()[f"{cls.__name__}.__new__"]
    stub_names = [a.arg for a in stub.args if a.arg != "cls"] + [a.arg for a in stub.kwonlyargs]
    assert [name for name, _, _ in runtime] == stub_names
    stub_defaults = [ast.literal_eval(d) for d in stub.defaults + stub.kw_defaults if d]
    assert [default for _, _, default in runtime] == stub_defaults
    # The documented arguments, then the two further timeouts (all configurable) and
    # the image size cap (the Rust ClientBuilder's max_image_bytes, default 64 MiB).
    assert stub_names[-3:] == ["connect_timeout", "download_timeout", "max_image_bytes"]
    assert sig.parameters["max_image_bytes"].default == 64 * 1024 * 1024
    assert all(kind is inspect.Parameter.KEYWORD_ONLY for _, kind, _ in runtime[1:])
    doc = cls.__doc__ or ""
    assert "connect_timeout" in doc and "download_timeout" in doc and "max_image_bytes" in doc
