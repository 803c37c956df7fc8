"""Verify AWS Signature Version 4 on incoming requests, with botocore's own canonicalisation."""

from __future__ import annotations

import datetime as dt
import hmac
import re
from collections.abc import Callable, Mapping

from botocore.auth import SigV4Auth
from botocore.awsrequest import AWSRequest
from botocore.credentials import Credentials

from server.rekognition.shapes import InvalidSignature, UnrecognizedClient

_AUTH = re.compile(r"^AWS4-HMAC-SHA256\s+Credential=(?P<key>[^/,\s]+)/(?P<date>\d{8})/(?P<region>[^/]+)/"
                   r"(?P<service>[^/]+)/aws4_request,\s*SignedHeaders=(?P<headers>[a-z0-9;\-]+),\s*"
                   r"Signature=(?P<signature>[0-9a-f]{64})$")
MAX_SKEW = dt.timedelta(minutes=15)


def verify(*, method: str, url: str, headers: Mapping[str, str], body: bytes,
           secret_for: Callable[[str], str | None], now: dt.datetime, service: str = "rekognition") -> str:
    """The access key id that signed the request; InvalidSignature / UnrecognizedClient otherwise."""
    header = headers.get("authorization", "")
    match = _AUTH.match(header.strip())
    if match is None:
        raise InvalidSignature("Expected an AWS4-HMAC-SHA256 Authorization header, got "
                               f"{header.split(' ', 1)[0][:40] or 'none'}")
    key = match["key"]
    secret = secret_for(key)
    if secret is None:
        raise UnrecognizedClient("The security token included in the request is invalid: unknown access key id")
    if match["service"] != service:
        raise InvalidSignature(f"Expected a credential scope for {service}, got {match['service']}")
    stamp = headers.get("x-amz-date", "")
    try:
        signed_at = dt.datetime.strptime(stamp, "%Y%m%dT%H%M%SZ").replace(tzinfo=dt.UTC)
    except ValueError:
        raise InvalidSignature(f"Expected X-Amz-Date like 20260101T000000Z, got {stamp[:32]!r}") from None
    if abs(now - signed_at) > MAX_SKEW or stamp[:8] != match["date"]:
        raise InvalidSignature("Signature expired or not yet valid: X-Amz-Date is more than 15 minutes off")
    signed = match["headers"].split(";")
    missing = [h for h in signed if h not in headers]
    if missing or "host" not in signed:
        raise InvalidSignature(f"Expected the signed headers to be present (host included), missing {missing}")
    request = AWSRequest(method=method, url=url, data=body, headers={h: headers[h] for h in signed})
    request.context["timestamp"] = stamp
    signer = SigV4Auth(Credentials(key, secret), service, match["region"])
    canonical = signer.canonical_request(request)
    expected = signer.signature(signer.string_to_sign(request, canonical), request)
    if not hmac.compare_digest(expected, match["signature"]):
        raise InvalidSignature("The request signature we calculated does not match the signature you provided")
    return key


__all__ = ["verify"]
