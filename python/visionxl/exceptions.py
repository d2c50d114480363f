"""The exceptions of visionxl, defined once here and raised from the Rust core.

Every exception has ``.code``, a stable string shared with the Rust, Node and C front doors
(``"rate_limited"``, ``"validation_error"``, ...). The hierarchy::

    VisionXLError
    ├── ValidationError              .violations: every problem, with the field named
    ├── APIError                     .status_code, .request_id (the record id), .service_code
    │   ├── AuthenticationError      401, or no API key
    │   ├── PermissionDeniedError    403
    │   ├── InsufficientCreditsError 402, or the service speaks of credits
    │   ├── RateLimitError           429; .retry_after in seconds
    │   ├── BadRequestError          400, 422 and other 4xx
    │   ├── NotFoundError            404
    │   └── InternalServerError      5xx
    ├── APIConnectionError           no answer (connection refused, reset, ...)
    │   └── APITimeoutError          no answer in time
    ├── BudgetExceededError          the client's credit budget would be exceeded; nothing sent
    └── DownloadError                an image could not be downloaded

``APIError`` itself is raised for ``invalid_response`` (an answer that is not the documented
JSON) and ``generation_failed`` (the record ended with status FAILURE; ``.request_id`` is its
id). ``VisionXLError`` itself is raised for ``io_error`` (a local file operation failed) and
``cancelled``.
"""

from __future__ import annotations

# typing loads only for type checkers: `import visionxl` stays light (docs/BENCHMARKS.md).
TYPE_CHECKING = False
if TYPE_CHECKING:
    from typing import Any, Dict, List, Optional, Sequence, Tuple, Type, Union

    from ._native import Generation, Violation
del TYPE_CHECKING  # not a public name of the package

__all__ = [
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
]


class VisionXLError(Exception):
    """Base class of every visionxl error.

    Attributes (None when they do not apply):
        code: the stable error code (``"rate_limited"``, ``"io_error"``, ...).
        message: the message for people (never holds the API key).
        status_code: the HTTP status of the service's answer.
        request_id: the record (generation) id the error concerns; read it again with
            ``client.get_generation(request_id)``.
        retry_after: seconds the service asked to wait (429).
        service_code: the service's own error code (``"UNSUPPORTED_MODEL"``, ...).
        details: the service's details, as sent.
        violations: every broken rule of a ``ValidationError`` (empty otherwise).
        may_have_been_charged: True when the request may have reached the service and been
            charged (e.g. a timeout after sending).
        partial_results: set when ``generate_many`` raised this after its batch ran (with
            ``return_exceptions=False``): every item in input order, a ``Generation`` for what
            finished (and was paid for) and an exception for the rest. None otherwise. (An
            exception raised by an ``on_progress`` callback gets the same attribute.) Not kept
            through pickle.
    """

    default_code: str = "error"

    code: str
    message: str
    status_code: Optional[int]
    request_id: Optional[str]
    retry_after: Optional[float]
    service_code: Optional[str]
    details: Optional[str]
    violations: Tuple[Violation, ...]
    may_have_been_charged: bool
    partial_results: Optional[List[Union[Generation, VisionXLError]]] = None

    def __init__(
        self,
        message: str,
        *,
        code: Optional[str] = None,
        status_code: Optional[int] = None,
        request_id: Optional[str] = None,
        retry_after: Optional[float] = None,
        service_code: Optional[str] = None,
        details: Optional[str] = None,
        violations: Sequence[Violation] = (),
        may_have_been_charged: bool = False,
    ) -> None:
        super().__init__(message)
        self.message = message
        self.code = code if code is not None else self.default_code
        self.status_code = status_code
        self.request_id = request_id
        self.retry_after = retry_after
        self.service_code = service_code
        self.details = details
        self.violations = tuple(violations)
        self.may_have_been_charged = may_have_been_charged

    def __str__(self) -> str:
        return self.message

    def __reduce__(self) -> Tuple[Any, ...]:
        # Keep every attribute through pickle (multiprocessing, concurrent.futures), except a
        # batch's partial_results: generation objects do not pickle.
        state = {k: v for k, v in self.__dict__.items() if k != "partial_results"}
        return (_rebuild, (type(self), self.message, state))


def _rebuild(cls: Type[VisionXLError], message: str, state: Dict[str, Any]) -> VisionXLError:
    exc = cls(message)
    exc.__dict__.update(state)
    return exc


class ValidationError(VisionXLError):
    """The request breaks a documented rule. Nothing was sent.

    ``.violations`` lists every problem at once (``field`` is the service's wire name,
    ``code`` one of ``required``, ``blank``, ``out_of_range``, ``not_allowed_value``,
    ``too_many``, ``requires``, ``not_finite``, ``wrong_type``, ``unknown_field``), and the
    message lists them too.
    """

    default_code = "validation_error"


class APIError(VisionXLError):
    """The service answered with an error, or with something that is not the documented JSON
    (``code == "invalid_response"``), or the generation ended in FAILURE
    (``code == "generation_failed"``, ``request_id`` is the record)."""

    default_code = "invalid_response"


class AuthenticationError(APIError):
    """401: the API key is missing or wrong (set ``api_key=`` or ``ONEMIN_API_KEY``)."""

    default_code = "authentication_error"


class PermissionDeniedError(APIError):
    """403: the key may not do this."""

    default_code = "permission_denied"


class InsufficientCreditsError(APIError):
    """The account has too few credits (402, or an answer that speaks of credits)."""

    default_code = "insufficient_credits"


class RateLimitError(APIError):
    """429: too many requests. ``.retry_after`` is how many seconds the service asked to
    wait (the client already retried, honouring it, ``max_retries`` times)."""

    default_code = "rate_limited"


class BadRequestError(APIError):
    """400, 422 or another 4xx: the service refused the request."""

    default_code = "bad_request"


class NotFoundError(APIError):
    """404."""

    default_code = "not_found"


class InternalServerError(APIError):
    """5xx (JSON or an HTML page). Not retried by default: the request may have been
    charged (``retry_ambiguous=True`` opts in)."""

    default_code = "server_error"


class APIConnectionError(VisionXLError):
    """The connection failed or broke before an answer arrived."""

    default_code = "connection_error"


class APITimeoutError(APIConnectionError):
    """No answer in time (``timeout=``; generation can take minutes)."""

    default_code = "timeout"


class BudgetExceededError(VisionXLError):
    """The request's price would exceed what is left of the client's ``budget``; nothing was
    sent."""

    default_code = "budget_exceeded"


class DownloadError(VisionXLError):
    """An image could not be downloaded (the record id is in ``.request_id``: nothing is
    lost, ``get_generation`` reads it again)."""

    default_code = "download_error"


#: The class raised for each stable error code.
CLASS_FOR_CODE: Dict[str, Type[VisionXLError]] = {
    "validation_error": ValidationError,
    "authentication_error": AuthenticationError,
    "permission_denied": PermissionDeniedError,
    "insufficient_credits": InsufficientCreditsError,
    "rate_limited": RateLimitError,
    "bad_request": BadRequestError,
    "not_found": NotFoundError,
    "server_error": InternalServerError,
    "timeout": APITimeoutError,
    "connection_error": APIConnectionError,
    "invalid_response": APIError,
    "generation_failed": APIError,
    "budget_exceeded": BudgetExceededError,
    "download_error": DownloadError,
    "io_error": VisionXLError,
    "cancelled": VisionXLError,
}


def _from_native(code: str, message: str, **fields: Any) -> VisionXLError:
    """Called by the Rust extension to build the exception for a core error."""
    cls = CLASS_FOR_CODE.get(code, VisionXLError)
    return cls(message, code=code, **fields)
