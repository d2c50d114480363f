"""Type aliases for the values the service accepts, for type checkers and editors.

``GenerateParams`` is a ``TypedDict`` of every ``generate`` keyword, for code that keeps
requests as dicts (``client.generate(**params)``, ``client.generate_many([...])``).
"""

from __future__ import annotations

from typing import List, Literal, TypedDict, Union

__all__ = [
    "Size",
    "Preset",
    "PresetStyle",
    "Transparency",
    "PhotoRealVersion",
    "PromptMagicVersion",
    "Status",
    "GenerateParams",
]

#: The four image sizes Vision XL takes (width x height).
Size = Literal["512x512", "1024x768", "768x1024", "1024x1024"]

#: A named bundle of settings: ``max_detail`` (guidance 12, 45 steps, high resolution,
#: Alchemy) or ``defaults`` (every documented default made explicit).
Preset = Literal["max_detail", "defaults"]

#: Leonardo's preset styles. They are accepted in any case and sent upper-case.
PresetStyle = Union[
    Literal[
        "ANIME",
        "BOKEH",
        "CINEMATIC",
        "CINEMATIC_CLOSEUP",
        "CREATIVE",
        "DYNAMIC",
        "ENVIRONMENT",
        "FASHION",
        "FILM",
        "FOOD",
        "GENERAL",
        "HDR",
        "ILLUSTRATION",
        "LEONARDO",
        "LONG_EXPOSURE",
        "MACRO",
        "MINIMALISTIC",
        "MONOCHROME",
        "MOODY",
        "NONE",
        "NEUTRAL",
        "PHOTOGRAPHY",
        "PORTRAIT",
        "RAYTRACED",
        "RENDER_3D",
        "RETRO",
        "SKETCH_BW",
        "SKETCH_COLOR",
        "STOCK_PHOTO",
        "VIBRANT",
        "UNPROCESSED",
    ],
    str,
]

#: ``leonardo_transparency``.
Transparency = Literal["disabled", "foreground_only"]

#: ``leonardo_photo_real_version`` (the service runs v2).
PhotoRealVersion = Literal["v2"]

#: ``leonardo_prompt_magic_version``.
PromptMagicVersion = Literal["v2", "v3"]

#: A record's status; any other string the service sends is kept as it is.
Status = Union[Literal["SUCCESS", "PROCESSING", "FAILURE"], str]


class _Prompt(TypedDict):
    prompt: str


class GenerateParams(_Prompt, total=False):
    """Every keyword of ``generate``/``GenerateRequest``, as a dict."""

    negative_prompt: str
    size: Size
    n: int
    guidance_scale: int
    num_inference_steps: int
    seed: int
    tiling: bool
    transparency: Transparency
    preset_style: PresetStyle
    image_prompts: List[str]
    init_image_id: str
    init_strength: float
    fantasy_avatar: bool
    alchemy: bool
    contrast_ratio: float
    expanded_domain: bool
    photo_real: bool
    photo_real_version: PhotoRealVersion
    photo_real_strength: float
    prompt_magic: bool
    prompt_magic_version: PromptMagicVersion
    prompt_magic_strength: float
    high_contrast: bool
    high_resolution: bool
    enhance_prompt: bool
    enhance_prompt_instruction: str
    preset: Preset
