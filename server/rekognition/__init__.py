"""Everything Amazon Rekognition: its wire shapes and errors, SigV4, the Rekognition-compatible
HTTP API served from our own face analysis, and the adapters that call the real service.

Submodules are imported directly (`server.rekognition.mapping` runs in worker processes, which
must not import the HTTP layer).
"""
