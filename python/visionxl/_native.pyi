"""Type stubs of the Rust extension ``visionxl._native`` (see the docstrings at run time)."""

from __future__ import annotations

import os
from pathlib import Path
from typing import (
    Any,
    Awaitable,
    Callable,
    Dict,
    Iterable,
    Iterator,
    List,
    Literal,
    Mapping,
    Optional,
    Sequence,
    Tuple,
    Union,
    final,
    overload,
)

from .exceptions import VisionXLError
from .types import (
    GenerateParams,
    PhotoRealVersion,
    Preset,
    PresetStyle,
    PromptMagicVersion,
    Size,
    Transparency,
)

__version__: str

StrPath = Union[str, "os.PathLike[str]"]

@final
class Violation:
    """One problem (severity "error") or remark (severity "warning") found by validation."""

    @property
    def field(self) -> str: ...
    @property
    def code(self) -> str: ...
    @property
    def message(self) -> str: ...
    @property
    def severity(self) -> Literal["error", "warning"]: ...
    @property
    def is_warning(self) -> bool: ...
    def __new__(
        cls, field: str, code: str, message: str, severity: str = "error"
    ) -> Violation: ...
    def __eq__(self, other: object, /) -> bool: ...
    def __hash__(self) -> int: ...

@final
class Parameter:
    """One row of the parameter table."""

    @property
    def name(self) -> str: ...
    @property
    def wire(self) -> str: ...
    @property
    def kind(self) -> Literal["string", "integer", "number", "boolean", "string_list"]: ...
    @property
    def required(self) -> bool: ...
    @property
    def default(self) -> Optional[str]: ...
    @property
    def allowed(self) -> Optional[str]: ...
    @property
    def description(self) -> str: ...

@final
class BatchPlan:
    """The cheapest split of a number of images into calls of 1 to 4."""

    @property
    def size(self) -> Size: ...
    @property
    def images(self) -> int: ...
    @property
    def calls(self) -> List[int]: ...
    @property
    def total_credits(self) -> int: ...
    def __eq__(self, other: object, /) -> bool: ...

@final
class GenerateRequest:
    """A validated Vision XL request (raises ValidationError on construction)."""

    def __new__(
        cls,
        prompt: str,
        *,
        size: Size = "1024x1024",
        n: int = 1,
        negative_prompt: Optional[str] = None,
        guidance_scale: Optional[int] = None,
        num_inference_steps: Optional[int] = None,
        seed: Optional[int] = None,
        tiling: Optional[bool] = None,
        transparency: Optional[Transparency] = None,
        preset_style: Optional[PresetStyle] = None,
        image_prompts: Optional[Sequence[str]] = None,
        init_image_id: Optional[str] = None,
        init_strength: Optional[float] = None,
        fantasy_avatar: Optional[bool] = None,
        alchemy: Optional[bool] = None,
        contrast_ratio: Optional[float] = None,
        expanded_domain: Optional[bool] = None,
        photo_real: Optional[bool] = None,
        photo_real_version: Optional[PhotoRealVersion] = None,
        photo_real_strength: Optional[float] = None,
        prompt_magic: Optional[bool] = None,
        prompt_magic_version: Optional[PromptMagicVersion] = None,
        prompt_magic_strength: Optional[float] = None,
        high_contrast: Optional[bool] = None,
        high_resolution: Optional[bool] = None,
        enhance_prompt: Optional[bool] = None,
        enhance_prompt_instruction: Optional[str] = None,
        preset: Optional[Preset] = None,
    ) -> GenerateRequest: ...
    @classmethod
    def from_dict(cls, prompt_object: Mapping[str, Any]) -> GenerateRequest: ...
    def to_dict(self) -> Dict[str, Any]: ...
    def replace(self, **changes: Any) -> GenerateRequest: ...
    @property
    def credits(self) -> int: ...
    @property
    def warnings(self) -> List[Violation]: ...
    # Every parameter reads back under its SDK name (None when unset).
    @property
    def prompt(self) -> str: ...
    @property
    def size(self) -> Size: ...
    @property
    def n(self) -> int: ...
    @property
    def negative_prompt(self) -> Optional[str]: ...
    @property
    def guidance_scale(self) -> Optional[int]: ...
    @property
    def num_inference_steps(self) -> Optional[int]: ...
    @property
    def seed(self) -> Optional[int]: ...
    @property
    def tiling(self) -> Optional[bool]: ...
    @property
    def transparency(self) -> Optional[Transparency]: ...
    @property
    def preset_style(self) -> Optional[str]: ...
    @property
    def image_prompts(self) -> Optional[List[str]]: ...
    @property
    def init_image_id(self) -> Optional[str]: ...
    @property
    def init_strength(self) -> Optional[float]: ...
    @property
    def fantasy_avatar(self) -> Optional[bool]: ...
    @property
    def alchemy(self) -> Optional[bool]: ...
    @property
    def contrast_ratio(self) -> Optional[float]: ...
    @property
    def expanded_domain(self) -> Optional[bool]: ...
    @property
    def photo_real(self) -> Optional[bool]: ...
    @property
    def photo_real_version(self) -> Optional[PhotoRealVersion]: ...
    @property
    def photo_real_strength(self) -> Optional[float]: ...
    @property
    def prompt_magic(self) -> Optional[bool]: ...
    @property
    def prompt_magic_version(self) -> Optional[PromptMagicVersion]: ...
    @property
    def prompt_magic_strength(self) -> Optional[float]: ...
    @property
    def high_contrast(self) -> Optional[bool]: ...
    @property
    def high_resolution(self) -> Optional[bool]: ...
    @property
    def enhance_prompt(self) -> Optional[bool]: ...
    @property
    def enhance_prompt_instruction(self) -> Optional[str]: ...
    def __eq__(self, other: object, /) -> bool: ...

def validate(
    prompt: Optional[str] = None,
    *,
    size: Size = "1024x1024",
    n: int = 1,
    negative_prompt: Optional[str] = None,
    guidance_scale: Optional[int] = None,
    num_inference_steps: Optional[int] = None,
    seed: Optional[int] = None,
    tiling: Optional[bool] = None,
    transparency: Optional[Transparency] = None,
    preset_style: Optional[PresetStyle] = None,
    image_prompts: Optional[Sequence[str]] = None,
    init_image_id: Optional[str] = None,
    init_strength: Optional[float] = None,
    fantasy_avatar: Optional[bool] = None,
    alchemy: Optional[bool] = None,
    contrast_ratio: Optional[float] = None,
    expanded_domain: Optional[bool] = None,
    photo_real: Optional[bool] = None,
    photo_real_version: Optional[PhotoRealVersion] = None,
    photo_real_strength: Optional[float] = None,
    prompt_magic: Optional[bool] = None,
    prompt_magic_version: Optional[PromptMagicVersion] = None,
    prompt_magic_strength: Optional[float] = None,
    high_contrast: Optional[bool] = None,
    high_resolution: Optional[bool] = None,
    enhance_prompt: Optional[bool] = None,
    enhance_prompt_instruction: Optional[str] = None,
    preset: Optional[Preset] = None,
) -> List[Violation]: ...
def validate_wire(prompt_object: Mapping[str, Any]) -> List[Violation]: ...
def estimate_credits(size: Size = "1024x1024", n: int = 1) -> int: ...
def plan_batches(size: Size, images: int) -> BatchPlan: ...
def interpret_response(
    endpoint: Literal["features", "results"],
    status: int,
    body: Union[bytes, str],
    *,
    content_type: Optional[str] = None,
    retry_after: Optional[str] = None,
    asset_base_url: Optional[str] = None,
) -> Optional[Dict[str, Any]]: ...

PARAMETERS: Tuple[Parameter, ...]
PARAMETER_NAMES: Tuple[str, ...]
SIZES: Tuple[Size, ...]
PRESET_STYLES: Tuple[str, ...]
PRESETS: Tuple[Preset, ...]
ERROR_CODES: Tuple[str, ...]
FAULT_KINDS: Dict[str, Tuple[str, ...]]

@final
class Asset:
    """An uploaded asset; pass ``reference`` as ``init_image_id`` or in ``image_prompts``."""

    @property
    def reference(self) -> str: ...
    @property
    def key(self) -> Optional[str]: ...
    @property
    def path(self) -> Optional[str]: ...
    @property
    def raw(self) -> Dict[str, Any]: ...

@final
class Progress:
    """Where a ``generate_many`` batch stands."""

    @property
    def index(self) -> int: ...
    @property
    def total(self) -> int: ...
    @property
    def completed(self) -> int: ...
    @property
    def succeeded(self) -> int: ...
    @property
    def failed(self) -> int: ...
    @property
    def resumed(self) -> int: ...
    @property
    def credits_spent(self) -> int: ...

class Image:
    """One generated image: the data both clients give (``SyncImage``, ``AsyncImage``)."""

    @property
    def index(self) -> int: ...
    @property
    def url(self) -> str: ...
    @property
    def path(self) -> str: ...
    @property
    def file_name(self) -> str: ...
    @property
    def generation_id(self) -> str: ...
    def _repr_html_(self) -> str: ...

@final
class SyncImage(Image):
    """An image from ``Client`` (blocking downloads)."""

    def save(self, path: StrPath, *, overwrite: bool = False) -> Path: ...
    def read(self) -> bytes: ...
    def to_pil(self) -> Any: ...
    def _repr_png_(self) -> Optional[bytes]: ...

@final
class AsyncImage(Image):
    """An image from ``AsyncClient`` (awaitable downloads)."""

    def save(self, path: StrPath, *, overwrite: bool = False) -> Awaitable[Path]: ...
    def read(self) -> Awaitable[bytes]: ...
    def to_pil(self) -> Awaitable[Any]: ...

class Generation:
    """The result of a generation: the data both clients give (``SyncGeneration`` from
    ``Client``, ``AsyncGeneration`` from ``AsyncClient``). Downloads are on those classes."""

    @property
    def id(self) -> str: ...
    @property
    def status(self) -> str: ...
    @property
    def images(self) -> Sequence[Image]: ...
    @property
    def credits(self) -> Optional[int]: ...
    @property
    def warnings(self) -> List[Violation]: ...
    @property
    def raw(self) -> Dict[str, Any]: ...
    @property
    def request(self) -> Optional[GenerateRequest]: ...
    @property
    def created_at(self) -> Optional[str]: ...
    @property
    def is_emulated(self) -> bool: ...
    def __len__(self) -> int: ...
    def __iter__(self) -> Iterator[Image]: ...
    def _repr_html_(self) -> str: ...

@final
class SyncGeneration(Generation):
    """A generation from ``Client`` (blocking downloads)."""

    @property
    def images(self) -> List[SyncImage]: ...
    def __iter__(self) -> Iterator[SyncImage]: ...
    def save(self, directory: StrPath, *, overwrite: bool = False) -> List[Path]: ...
    def _repr_png_(self) -> Optional[bytes]: ...

@final
class AsyncGeneration(Generation):
    """A generation from ``AsyncClient`` (awaitable downloads)."""

    @property
    def images(self) -> List[AsyncImage]: ...
    def __iter__(self) -> Iterator[AsyncImage]: ...
    def save(self, directory: StrPath, *, overwrite: bool = False) -> Awaitable[List[Path]]: ...

BatchRequest = Union[GenerateRequest, GenerateParams, Mapping[str, Any], str]

@final
class Client:
    """The blocking client (thread-safe; the GIL is released for every network call)."""

    def __new__(
        cls,
        api_key: Optional[str] = None,
        *,
        base_url: Optional[str] = None,
        asset_base_url: Optional[str] = None,
        timeout: Optional[float] = None,
        max_retries: int = 2,
        retry_ambiguous: bool = False,
        budget: Optional[int] = None,
        requests_per_minute: int = 180,
        allow_insecure_http: bool = False,
        connect_timeout: Optional[float] = None,
        download_timeout: Optional[float] = None,
        max_image_bytes: int = 67108864,
    ) -> Client: ...
    @property
    def base_url(self) -> str: ...
    @property
    def asset_base_url(self) -> str: ...
    @property
    def budget_remaining(self) -> Optional[int]: ...
    def __enter__(self) -> Client: ...
    def __exit__(self, *args: object) -> bool: ...
    @overload
    def generate(self, prompt: GenerateRequest) -> SyncGeneration: ...
    @overload
    def generate(
        self,
        prompt: str,
        *,
        size: Size = "1024x1024",
        n: int = 1,
        negative_prompt: Optional[str] = None,
        guidance_scale: Optional[int] = None,
        num_inference_steps: Optional[int] = None,
        seed: Optional[int] = None,
        tiling: Optional[bool] = None,
        transparency: Optional[Transparency] = None,
        preset_style: Optional[PresetStyle] = None,
        image_prompts: Optional[Sequence[str]] = None,
        init_image_id: Optional[str] = None,
        init_strength: Optional[float] = None,
        fantasy_avatar: Optional[bool] = None,
        alchemy: Optional[bool] = None,
        contrast_ratio: Optional[float] = None,
        expanded_domain: Optional[bool] = None,
        photo_real: Optional[bool] = None,
        photo_real_version: Optional[PhotoRealVersion] = None,
        photo_real_strength: Optional[float] = None,
        prompt_magic: Optional[bool] = None,
        prompt_magic_version: Optional[PromptMagicVersion] = None,
        prompt_magic_strength: Optional[float] = None,
        high_contrast: Optional[bool] = None,
        high_resolution: Optional[bool] = None,
        enhance_prompt: Optional[bool] = None,
        enhance_prompt_instruction: Optional[str] = None,
        preset: Optional[Preset] = None,
    ) -> SyncGeneration: ...
    def get_generation(self, id: str) -> SyncGeneration: ...
    def wait_for_generation(self, id: str) -> SyncGeneration: ...
    def upload_asset(self, path: StrPath) -> Asset: ...
    def upload_asset_bytes(self, data: bytes, file_name: str = "asset.png") -> Asset: ...
    def generate_many(
        self,
        requests: Iterable[BatchRequest],
        *,
        concurrency: int = 4,
        on_progress: Optional[Callable[[Progress], object]] = None,
        manifest: Optional[StrPath] = None,
        out_dir: Optional[StrPath] = None,
        overwrite: bool = False,
        return_exceptions: bool = True,
    ) -> List[Union[SyncGeneration, VisionXLError]]: ...

@final
class AsyncClient:
    """The asyncio client: ``Client``'s arguments and methods, each returning an awaitable."""

    def __new__(
        cls,
        api_key: Optional[str] = None,
        *,
        base_url: Optional[str] = None,
        asset_base_url: Optional[str] = None,
        timeout: Optional[float] = None,
        max_retries: int = 2,
        retry_ambiguous: bool = False,
        budget: Optional[int] = None,
        requests_per_minute: int = 180,
        allow_insecure_http: bool = False,
        connect_timeout: Optional[float] = None,
        download_timeout: Optional[float] = None,
        max_image_bytes: int = 67108864,
    ) -> AsyncClient: ...
    @property
    def base_url(self) -> str: ...
    @property
    def asset_base_url(self) -> str: ...
    @property
    def budget_remaining(self) -> Optional[int]: ...
    def __aenter__(self) -> Awaitable[AsyncClient]: ...
    def __aexit__(self, *args: object) -> Awaitable[bool]: ...
    @overload
    def generate(self, prompt: GenerateRequest) -> Awaitable[AsyncGeneration]: ...
    @overload
    def generate(
        self,
        prompt: str,
        *,
        size: Size = "1024x1024",
        n: int = 1,
        negative_prompt: Optional[str] = None,
        guidance_scale: Optional[int] = None,
        num_inference_steps: Optional[int] = None,
        seed: Optional[int] = None,
        tiling: Optional[bool] = None,
        transparency: Optional[Transparency] = None,
        preset_style: Optional[PresetStyle] = None,
        image_prompts: Optional[Sequence[str]] = None,
        init_image_id: Optional[str] = None,
        init_strength: Optional[float] = None,
        fantasy_avatar: Optional[bool] = None,
        alchemy: Optional[bool] = None,
        contrast_ratio: Optional[float] = None,
        expanded_domain: Optional[bool] = None,
        photo_real: Optional[bool] = None,
        photo_real_version: Optional[PhotoRealVersion] = None,
        photo_real_strength: Optional[float] = None,
        prompt_magic: Optional[bool] = None,
        prompt_magic_version: Optional[PromptMagicVersion] = None,
        prompt_magic_strength: Optional[float] = None,
        high_contrast: Optional[bool] = None,
        high_resolution: Optional[bool] = None,
        enhance_prompt: Optional[bool] = None,
        enhance_prompt_instruction: Optional[str] = None,
        preset: Optional[Preset] = None,
    ) -> Awaitable[AsyncGeneration]: ...
    def get_generation(self, id: str) -> Awaitable[AsyncGeneration]: ...
    def wait_for_generation(self, id: str) -> Awaitable[AsyncGeneration]: ...
    def upload_asset(self, path: StrPath) -> Awaitable[Asset]: ...
    def upload_asset_bytes(self, data: bytes, file_name: str = "asset.png") -> Awaitable[Asset]: ...
    def generate_many(
        self,
        requests: Iterable[BatchRequest],
        *,
        concurrency: int = 4,
        on_progress: Optional[Callable[[Progress], object]] = None,
        manifest: Optional[StrPath] = None,
        out_dir: Optional[StrPath] = None,
        overwrite: bool = False,
        return_exceptions: bool = True,
    ) -> Awaitable[List[Union[AsyncGeneration, VisionXLError]]]: ...

@final
class NativeEmulator:
    """The in-process emulator (use ``visionxl.testing.Emulator``)."""

    def __new__(
        cls,
        *,
        port: int = 0,
        keys: Optional[Dict[str, int]] = None,
        latency_ms: int = 0,
        temporary_url_ttl: int = 600,
    ) -> NativeEmulator: ...
    @property
    def base_url(self) -> str: ...
    @property
    def asset_base_url(self) -> str: ...
    @property
    def api_key(self) -> str: ...
    @property
    def running(self) -> bool: ...
    def ledger(self) -> Dict[str, Any]: ...
    def inject(self, fault: Mapping[str, Any]) -> None: ...
    def pending_faults(self) -> List[Dict[str, Any]]: ...
    def set_chaos(self, chaos: Optional[Mapping[str, Any]] = None) -> Dict[str, Any]: ...
    def chaos(self) -> Optional[Dict[str, Any]]: ...
    def chaos_report(self) -> Dict[str, Any]: ...
    def reset(self) -> None: ...
    def close(self) -> None: ...
