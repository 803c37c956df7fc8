"""Webhooks: subscriptions, the events they carry, signing, durable delivery and outbound safety.

Modules: events.py (what each event says, built as pure functions of a change), secrets.py (whsec_ secrets,
sealed at rest), outbound.py (the only HTTP client: destination filtering, timeouts, caps), delivery.py (the
`webhook.deliver` and `webhooks.sweep` jobs), service.py (the subscriptions' use cases), routes.py (REST).
Nothing is imported here, so the session core can import events.py without the rest.
"""
