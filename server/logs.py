"""Log lines: JSON (one object a line) or text, both made from the same redacted fields.

The standard library's logging, not structlog: every module and uvicorn already log through it, so one
formatter on the root handler covers them all (uvicorn's access log included) without a second API.

Personal data is kept out by construction: a record carries its message, the request context (ids) and only
the extra fields named in FIELDS, with their types; a field named like personal data is replaced, message
arguments that are not plain scalars are replaced, e-mail addresses are masked, an exception is logged as its
type, code and stack (its message may quote data, e.g. SQL parameters), and the access log loses query strings
and client addresses.
"""

from __future__ import annotations

import datetime as dt
import logging
import re
import traceback
from typing import TextIO

import msgspec

from server import context

FIELDS: dict[str, type | tuple[type, ...]] = {
    "request_id": str, "session_id": str, "tenant": str, "journey": str, "state": str, "status": str,
    "event": str, "task": str, "task_id": str, "check": str, "code": str, "count": int, "method": str,
    "route": str, "path": str, "status_code": int, "duration_ms": (int, float), "file_id": str, "actor": str,
    "outcome": str, "attempt": int, "http_version": str,
}
"""extra fields a record may carry, and their types: ids, codes, counts, states"""
PERSONAL = frozenset({
    "first_name", "last_name", "name", "full_name", "email", "e_mail", "phone", "date_of_birth", "dob",
    "birth_date", "document_number", "registration_number", "legal_name", "address", "line1", "line2", "city",
    "postal_code", "nationality", "values", "data", "answers", "reason", "note", "text", "filename", "file_name",
    "pep_role", "owners", "password", "token", "api_key", "secret", "authorization", "cookie", "ip", "client",
})
"""names whose values are redacted even when someone adds them to FIELDS or passes them as extra"""
REDACTED = "[redacted]"
MAX_TEXT = 2000
_EMAIL = re.compile(r"[\w.+-]+@[\w-]+(?:\.[\w-]+)+")
_QUERY = re.compile(r"\?[^\s\"]*")
_STANDARD = frozenset(logging.LogRecord("", 0, "", 0, "", None, None).__dict__) | {"message", "asctime",
                                                                                     "taskName", "color_message"}
_NOISY = ("socketio", "engineio", "socketio.server", "engineio.server", "socketio.client", "engineio.client")
"""their info and debug lines quote whole packets (what a person submitted): kept at warning or above"""


def _scalar(value: object) -> object:
    if isinstance(value, bool | int | float) or value is None:
        return value
    if isinstance(value, str):
        return _EMAIL.sub(REDACTED, value[:MAX_TEXT])
    return REDACTED  # a dict, list or Struct may hold anything a person entered


def _message(record: logging.LogRecord) -> str:
    args = record.args
    if record.name == "uvicorn.access" and isinstance(args, tuple) and len(args) == 5:
        _, method, path, _, status = args  # (client address, method, path with query, HTTP version, status)
        return f"{method} {_QUERY.sub('', str(path))[:MAX_TEXT]} {status}"
    if record.name.startswith("uvicorn") and isinstance(args, tuple) and args:
        # the access lines of WebSocket connections: neither the client's address nor a query string is logged
        head = ("-",) if str(record.msg).startswith('%s - "') else args[:1]
        args = tuple(_QUERY.sub("", a) if isinstance(a, str) else a for a in (*head, *args[1:]))
    if isinstance(args, tuple) and args:
        try:
            text = str(record.msg) % tuple(_scalar(a) for a in args)
        except (TypeError, ValueError):
            text = f"{record.msg} (arguments not shown)"
    elif args:  # a mapping of named arguments
        text = f"{record.msg} (arguments not shown)"
    else:
        text = str(record.msg)
    return _EMAIL.sub(REDACTED, text[:MAX_TEXT])


def fields_of(record: logging.LogRecord) -> dict[str, object]:
    """Everything a line shows, in order, already redacted."""
    out: dict[str, object] = {
        "timestamp": dt.datetime.fromtimestamp(record.created, dt.UTC).isoformat(timespec="milliseconds"),
        "level": record.levelname.lower(), "logger": record.name, "message": _message(record)}
    ctx = context.current()
    for key in ("request_id", "session_id", "tenant"):
        if value := getattr(ctx, key):
            out[key] = value
    if record.name == "uvicorn.access" and isinstance(record.args, tuple) and len(record.args) == 5:
        _, method, path, _, status = record.args
        out.update(method=str(method), path=_QUERY.sub("", str(path))[:MAX_TEXT], status_code=status)
    unlisted: list[str] = []
    for key, value in record.__dict__.items():
        if key in _STANDARD or key.startswith("_"):
            continue
        if key.lower() in PERSONAL:
            out[key] = REDACTED
        elif key in FIELDS and isinstance(value, FIELDS[key]) and not isinstance(value, bool):
            out[key] = _scalar(value)
        else:
            unlisted.append(key)  # its name only: the value could be anything
    if unlisted:
        out["unlisted"] = unlisted
    if record.exc_info and record.exc_info[0] is not None:
        exc_type, exc, tb = record.exc_info
        out["exc_type"] = exc_type.__name__
        if isinstance(code := getattr(exc, "code", None), str):
            out["exc_code"] = code[:100]
        out["stack"] = "".join(traceback.format_tb(tb))[-8000:]
    return out


class JsonFormatter(logging.Formatter):
    def format(self, record: logging.LogRecord) -> str:
        return msgspec.json.encode(fields_of(record)).decode()


class TextFormatter(logging.Formatter):
    def format(self, record: logging.LogRecord) -> str:
        fields = fields_of(record)
        stack = fields.pop("stack", None)
        head = f"{fields.pop('timestamp')} {str(fields.pop('level')).upper():7} {fields.pop('logger')}: " \
               f"{fields.pop('message')}"
        tail = " ".join(f"{k}={v}" for k, v in fields.items())
        return f"{head}  {tail}".rstrip() + (f"\n{stack}".rstrip() if stack else "")


def configure_logging(*, level: str, form: str, stream: TextIO) -> logging.Handler:
    """One handler on the root logger, writing `form` (json, text, or auto: text on a terminal, else json) to
    `stream`; every other handler (uvicorn's, python-socketio's own) goes, so every line has this format."""
    use_json = form == "json" or (form == "auto" and not stream.isatty())
    handler = logging.StreamHandler(stream)
    handler.setFormatter(JsonFormatter() if use_json else TextFormatter())
    root = logging.getLogger()
    root.handlers[:] = [handler]
    root.setLevel(level.upper())
    for name in list(logging.root.manager.loggerDict):
        logger = logging.getLogger(name)
        logger.handlers.clear()
        logger.propagate = True
    floor = max(logging.WARNING, root.level)
    for name in _NOISY:
        logging.getLogger(name).setLevel(floor)
    return handler


__all__ = ["FIELDS", "PERSONAL", "REDACTED", "JsonFormatter", "TextFormatter", "configure_logging", "fields_of"]
