"""The REST API described: each route's `Doc` beside it (spec.py), the OpenAPI 3.1 document read off the
routes (document.py), and `/openapi.json` and `/docs` (page.py)."""

from server.openapi.document import documented, openapi_document
from server.openapi.page import Reference
from server.openapi.spec import Binary, Doc, DocumentedRoute, Html

__all__ = ["Binary", "Doc", "DocumentedRoute", "Html", "Reference", "documented", "openapi_document"]
