"""The exception hierarchy (python/README.md), raised from Rust with stable codes."""

from __future__ import annotations

import pickle

import pytest

import visionxl
from visionxl import exceptions as exc
from visionxl.testing import interpret_response

HIERARCHY = {
    "VisionXLError": "Exception",
    "ValidationError": "VisionXLError",
    "APIError": "VisionXLError",
    "AuthenticationError": "APIError",
    "PermissionDeniedError": "APIError",
    "InsufficientCreditsError": "APIError",
    "RateLimitError": "APIError",
    "BadRequestError": "APIError",
    "NotFoundError": "APIError",
    "InternalServerError": "APIError",
    "APIConnectionError": "VisionXLError",
    "APITimeoutError": "APIConnectionError",
    "BudgetExceededError": "VisionXLError",
    "DownloadError": "VisionXLError",
}


def test_hierarchy_is_exactly_the_design() -> None:
    for name, parent in HIERARCHY.items():
        cls = getattr(visionxl, name)
        assert cls is getattr(exc, name)
        assert cls.__bases__ == (getattr(visionxl, parent, Exception),), name
        assert cls.__doc__, name
    assert set(exc.__all__) == set(HIERARCHY)


def test_every_stable_code_has_a_class() -> None:
    assert set(exc.CLASS_FOR_CODE) == set(visionxl.ERROR_CODES)
    assert len(visionxl.ERROR_CODES) == 16
    for code, cls in exc.CLASS_FOR_CODE.items():
        made = exc._from_native(code, f"{code}: boom")
        assert type(made) is cls and made.code == code and str(made) == f"{code}: boom"


@pytest.mark.parametrize(
    "status, body, headers, cls, code",
    [
        (401, '{"message": "bad key"}', {}, visionxl.AuthenticationError, "authentication_error"),
        (402, '{"message": "x"}', {}, visionxl.InsufficientCreditsError, "insufficient_credits"),
        (400, '{"errorCode": "X", "message": "Not enough credits"}', {},
         visionxl.InsufficientCreditsError, "insufficient_credits"),
        (403, '{"message": "no"}', {}, visionxl.PermissionDeniedError, "permission_denied"),
        (404, '{"message": "no"}', {}, visionxl.NotFoundError, "not_found"),
        (422, '{"success": false, "error": {"code": "MISSING_REQUIRED_FIELDS", "message": "m"}}',
         {}, visionxl.BadRequestError, "bad_request"),
        (429, '{"message": "slow down"}', {"retry-after": "3"}, visionxl.RateLimitError, "rate_limited"),
        (502, "<html><title>Bad gateway</title></html>", {"content-type": "text/html"},
         visionxl.InternalServerError, "server_error"),
        (200, "not json", {}, visionxl.APIError, "invalid_response"),
        (200, '{"aiRecord": {"uuid": "r1", "status": "FAILURE", '
              '"aiRecordDetail": {"errorMessage": "nsfw"}}}', {}, visionxl.APIError, "generation_failed"),
    ],
)
def test_api_errors_carry_status_code_and_ids(
    status: int, body: str, headers: dict[str, str], cls: type, code: str
) -> None:
    with pytest.raises(visionxl.VisionXLError) as info:
        interpret_response(
            "features",
            status,
            body,
            content_type=headers.get("content-type", "application/json"),
            retry_after=headers.get("retry-after"),
        )
    e = info.value
    assert type(e) is cls and e.code == code and isinstance(e, visionxl.APIError)
    assert e.status_code == status
    assert str(e).startswith(code)
    if code == "rate_limited":
        assert e.retry_after == 3.0
    if code == "generation_failed":
        assert e.request_id == "r1" and "nsfw" in str(e)
    if code == "bad_request":
        assert e.service_code == "MISSING_REQUIRED_FIELDS"


def test_validation_error_lists_every_violation() -> None:
    with pytest.raises(visionxl.ValidationError) as info:
        visionxl.GenerateRequest("", n=0)
    e = info.value
    assert e.code == "validation_error" and e.status_code is None and e.request_id is None
    assert len(e.violations) == 2
    assert all(isinstance(v, visionxl.Violation) for v in e.violations)
    assert all(v.message in str(e) for v in e.violations)


def test_exceptions_pickle_with_every_attribute() -> None:
    with pytest.raises(visionxl.RateLimitError) as info:
        interpret_response("features", 429, "{}", retry_after="7")
    again = pickle.loads(pickle.dumps(info.value))
    assert type(again) is visionxl.RateLimitError
    assert (again.code, again.status_code, again.retry_after, str(again)) == (
        "rate_limited",
        429,
        7.0,
        str(info.value),
    )
    with pytest.raises(visionxl.ValidationError) as vinfo:
        visionxl.GenerateRequest("a", n=0)
    v_again = pickle.loads(pickle.dumps(vinfo.value))
    assert v_again.violations == vinfo.value.violations


def test_user_constructed_exceptions_have_their_class_code() -> None:
    assert visionxl.RateLimitError("x").code == "rate_limited"
    assert visionxl.APITimeoutError("x").code == "timeout"
    assert isinstance(visionxl.APITimeoutError("x"), visionxl.APIConnectionError)
