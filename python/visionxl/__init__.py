"""visionxl: generate images with Leonardo Vision XL through the 1min.ai API.

Validation, prices, the wire format and the HTTP client are one Rust core shared with the Rust,
Node and C front doors; this package is its Python face.

    >>> import visionxl
    >>> visionxl.estimate_credits("1024x1024", 2)
    338
    >>> req = visionxl.GenerateRequest("a lighthouse at dusk", size="1024x768", tiling=True)
    >>> req.to_dict()["leonardo_tilling"]
    True

See ``Client`` (blocking) and ``AsyncClient`` (asyncio) to generate, and
``visionxl.testing.Emulator`` to test without spending credits. Both clients return a
``Generation``: ``Client`` a ``SyncGeneration`` (``generation.save(dir)``), ``AsyncClient`` an
``AsyncGeneration`` (``await generation.save(dir)``).
"""

from __future__ import annotations

from . import exceptions
from ._native import (
    ERROR_CODES,
    PARAMETER_NAMES,
    PARAMETERS,
    PRESET_STYLES,
    PRESETS,
    SIZES,
    Asset,
    AsyncClient,
    AsyncGeneration,
    AsyncImage,
    BatchPlan,
    Client,
    GenerateRequest,
    Generation,
    Image,
    Parameter,
    Progress,
    SyncGeneration,
    SyncImage,
    Violation,
    __version__,
    estimate_credits,
    plan_batches,
    plan_sweep,
    validate,
    validate_wire,
)
from .sweep import SweepCell, SweepResult

TYPE_CHECKING = False
if TYPE_CHECKING:
    from . import types
del TYPE_CHECKING  # not a public name of the package

from .exceptions import (
    APIConnectionError,
    APIError,
    APITimeoutError,
    AuthenticationError,
    BadRequestError,
    BudgetExceededError,
    DownloadError,
    InsufficientCreditsError,
    InternalServerError,
    NotFoundError,
    PermissionDeniedError,
    RateLimitError,
    ValidationError,
    VisionXLError,
)

__all__ = [
    "__version__",
    # clients and results
    "Client",
    "AsyncClient",
    "Generation",
    "SyncGeneration",
    "AsyncGeneration",
    "Image",
    "SyncImage",
    "AsyncImage",
    "Asset",
    "Progress",
    # requests, validation, prices
    "GenerateRequest",
    "Violation",
    "Parameter",
    "BatchPlan",
    "validate",
    "validate_wire",
    "estimate_credits",
    "plan_batches",
    "plan_sweep",
    "SweepResult",
    "SweepCell",
    "PARAMETERS",
    "PARAMETER_NAMES",
    "SIZES",
    "PRESET_STYLES",
    "PRESETS",
    "ERROR_CODES",
    # exceptions (static tools such as stubtest read __all__ literally: keep the names here)
    "VisionXLError",
    "ValidationError",
    "APIError",
    "AuthenticationError",
    "PermissionDeniedError",
    "InsufficientCreditsError",
    "RateLimitError",
    "BadRequestError",
    "NotFoundError",
    "InternalServerError",
    "APIConnectionError",
    "APITimeoutError",
    "BudgetExceededError",
    "DownloadError",
    # modules
    "exceptions",
    "types",
]


def __getattr__(name: str) -> object:
    # `visionxl.types` (TypedDicts, Literals) needs `typing`, the heaviest import of the package:
    # it loads on first use, so `import visionxl` stays light (docs/BENCHMARKS.md).
    if name == "types":
        import importlib

        return importlib.import_module(".types", __name__)
    raise AttributeError(f"module {__name__!r} has no attribute {name!r}")
