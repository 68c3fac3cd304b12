"""RFC 9457 problem details: every error the API answers, in one shape."""

from typing import Any

from fastapi import FastAPI, Request
from fastapi.exceptions import RequestValidationError
from fastapi.responses import JSONResponse
from starlette.exceptions import HTTPException as StarletteHTTPException

PROBLEM = "application/problem+json"

TITLES = {
    400: "Bad Request",
    401: "Unauthorized",
    403: "Forbidden",
    404: "Not Found",
    405: "Method Not Allowed",
    409: "Conflict",
    413: "Content Too Large",
    422: "Unprocessable Content",
    500: "Internal Server Error",
    504: "Gateway Timeout",
}


class Problem(Exception):
    """A domain error that the API answers as problem+json."""

    status = 400

    def __init__(
        self,
        detail: str,
        *,
        status: int | None = None,
        errors: list[dict[str, Any]] | None = None,
        **extra: Any,
    ) -> None:
        super().__init__(detail)
        self.detail = detail
        if status is not None:
            self.status = status
        self.errors = errors
        self.extra = extra


class NotFound(Problem):
    status = 404


class Conflict(Problem):
    status = 409


class Forbidden(Problem):
    status = 403


class Unauthorized(Problem):
    status = 401


class Invalid(Problem):
    """A request that parses but breaks a rule: name the field in `errors`."""

    status = 422

    def __init__(self, field: str, message: str, **extra: Any) -> None:
        super().__init__(message, errors=[{"field": field, "message": message}], **extra)


def problem_response(
    status: int,
    detail: str,
    errors: list[dict[str, Any]] | None = None,
    headers: dict[str, str] | None = None,
    **extra: Any,
) -> JSONResponse:
    body: dict[str, Any] = {"type": "about:blank", "title": TITLES.get(status, "Error"), "status": status}
    body["detail"] = detail
    if errors is not None:
        body["errors"] = errors
    body.update(extra)
    return JSONResponse(body, status_code=status, media_type=PROBLEM, headers=headers)


def _field(loc: tuple[Any, ...] | list[Any]) -> str:
    parts = [str(p) for p in loc]
    if parts and parts[0] in ("body", "query", "path", "header", "form", "cookie"):
        parts = parts[1:]
    return ".".join(parts) or "body"


def _message(error: dict[str, Any]) -> str:
    kind = error.get("type", "")
    if kind == "extra_forbidden":
        return "unknown field: remove it (see /docs for the fields this request takes)"
    if kind == "missing":
        return "field required"
    message = str(error.get("msg", "invalid value"))
    return message.removeprefix("Value error, ")


def validation_errors(errors: list[dict[str, Any]]) -> list[dict[str, Any]]:
    return [{"field": _field(e.get("loc", ())), "message": _message(e)} for e in errors]


def install(app: FastAPI) -> None:
    @app.exception_handler(Problem)
    async def _problem(_: Request, exc: Problem) -> JSONResponse:
        return problem_response(exc.status, exc.detail, exc.errors, **exc.extra)

    @app.exception_handler(RequestValidationError)
    async def _validation(_: Request, exc: RequestValidationError) -> JSONResponse:
        raw = list(exc.errors())
        if any(e.get("type") == "json_invalid" for e in raw):
            ctx = next(e for e in raw if e.get("type") == "json_invalid").get("ctx", {})
            reason = ctx.get("error", "")
            return problem_response(400, f"The request body is not valid JSON: {reason}".rstrip(": "))
        return problem_response(422, "The request has invalid fields.", validation_errors(raw))

    @app.exception_handler(StarletteHTTPException)
    async def _http(_: Request, exc: StarletteHTTPException) -> JSONResponse:
        detail = exc.detail if isinstance(exc.detail, str) else TITLES.get(exc.status_code, "Error")
        return problem_response(exc.status_code, detail, headers=getattr(exc, "headers", None))
