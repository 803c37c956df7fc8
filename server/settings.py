"""Configuration: read from environment variables only, in this one place."""

from __future__ import annotations

import os
from collections.abc import Mapping
from pathlib import Path
from typing import ClassVar

import msgspec

from sdk_protocol import DEFAULT_LIMITS, Limits, SdkError, describe_error
from server.access import TENANT_PATTERN

PREFIX = "ARABESQUE_"


class ConfigError(SdkError):
    """A setting (environment variable) is missing or malformed; the server does not start."""

    code: ClassVar[str] = "config.invalid"


class Settings(msgspec.Struct, frozen=True, kw_only=True):
    """Every setting, with the embedded defaults (SQLite and a local folder, no other service)."""

    data_dir: str = "./var"
    database_url: str = ""
    storage_url: str = ""
    api_key: str = ""
    journeys_dir: str = ""
    token_ttl_seconds: int = 3600
    public_url: str = ""
    handoff_seconds: int = 600
    handoff_rate_per_minute: float = 30.0
    handoff_rate_burst: int = 10
    max_upload_bytes: int = 15 * 1024 * 1024
    max_message_bytes: int = DEFAULT_LIMITS.max_message_bytes
    workers: int = 0
    task_timeout_seconds: float = 60.0
    timer_poll_seconds: float = 1.0
    redis_url: str = ""
    cors_origins: str = ""
    tenant: str = "default"
    log_level: str = "info"
    log_format: str = "auto"
    metrics: str = "on"
    demo: str = "off"
    s3_endpoint_url: str = ""
    s3_region: str = ""
    s3_addressing: str = "auto"
    s3_sse: str = ""
    s3_kms_key_id: str = ""
    s3_max_attempts: int = 4
    s3_connect_timeout: float = 3.0
    s3_read_timeout: float = 20.0
    presign_seconds: int = 300
    retention_seconds: int = 0
    face_provider: str = "local"
    rekognition_region: str = "us-east-1"
    rekognition_endpoint_url: str = ""
    rekognition_access_key_id: str = ""
    rekognition_secret_access_key: str = ""
    sdk_rate_per_second: float = 20.0
    sdk_rate_burst: int = 40
    api_rate_per_second: float = 100.0
    api_rate_burst: int = 200
    write_queue_limit: int = 5000
    write_wait_seconds: float = 10.0
    session_cache_size: int = 20_000
    face_index_size: int = 2_000_000
    # --- the back office
    cookie_secure: str = "auto"
    login_ttl_seconds: int = 8 * 3600
    login_rate_per_minute: float = 10.0
    login_rate_burst: int = 10
    key_cache_seconds: float = 10.0
    # --- background jobs
    jobs: str = "local"
    job_concurrency: int = 0
    job_heartbeat_seconds: float = 5.0
    job_stalled_seconds: float = 20.0
    # --- webhooks
    webhook_retry_seconds: str = "0,5,300,1800,7200,18000,36000,36000"
    webhook_disable_after_seconds: float = 5 * 86400.0
    webhook_allowed_hosts: str = ""
    webhook_connect_timeout_seconds: float = 5.0
    webhook_timeout_seconds: float = 15.0
    webhook_max_response_bytes: int = 64 * 1024
    webhook_secret_overlap_seconds: int = 86400
    webhook_sweep_seconds: float = 2.0
    webhook_secrets_key: str = ""

    @property
    def data_path(self) -> Path:
        return Path(self.data_dir).expanduser().resolve()

    @property
    def resolved_database_url(self) -> str:
        return self.database_url or f"sqlite+aiosqlite:///{self.data_path / 'arabesque.db'}"

    @property
    def resolved_storage_url(self) -> str:
        return self.storage_url or (self.data_path / "documents").as_uri()

    @property
    def worker_count(self) -> int:
        return self.workers or os.cpu_count() or 1

    @property
    def job_concurrency_count(self) -> int:
        """Jobs one worker node runs at once: most wait on the process pool or the network."""
        return self.job_concurrency or 4 * self.worker_count

    @property
    def transport_max_bytes(self) -> int:
        """The Socket.IO buffer: four messages' worth, so an oversized one is answered, not dropped."""
        return 4 * self.max_message_bytes

    @property
    def webhook_schedule(self) -> tuple[float, ...]:
        """Seconds before each delivery attempt (the first is usually 0); after the last, the delivery failed."""
        return tuple(float(part) for part in self.webhook_retry_seconds.split(",") if part.strip())

    def limits(self) -> Limits:
        """What one SDK message may hold: the size from here, depth and breadth as the protocol documents."""
        return Limits(max_message_bytes=self.max_message_bytes, max_depth=DEFAULT_LIMITS.max_depth,
                      max_nodes=DEFAULT_LIMITS.max_nodes)


DOCUMENTED: dict[str, str] = {
    "ARABESQUE_DATA_DIR": "where the embedded database, documents and the development key live (./var)",
    "ARABESQUE_DATABASE_URL": "SQLAlchemy URL; default SQLite (WAL) in the data dir; postgresql+asyncpg://... at scale",
    "ARABESQUE_STORAGE_URL": "where documents go: file:///path (default: <data dir>/documents)",
    "ARABESQUE_API_KEY": "an integrator API key, accepted as given; when unset a development key is generated once, "
                         "stored in the data dir and printed",
    "ARABESQUE_JOURNEYS_DIR": "a folder of extra journey files to load beside the built-in ones",
    "ARABESQUE_TOKEN_TTL_SECONDS": "lifetime of an SDK session token (3600)",
    "ARABESQUE_PUBLIC_URL": "the server's public base URL (https://kyc.example.com), for handoff links; default: the "
                            "request's own scheme, host and port",
    "ARABESQUE_HANDOFF_SECONDS": "lifetime of a handoff link (\"continue on your phone\"): 600",
    "ARABESQUE_HANDOFF_RATE_PER_MINUTE": "handoff exchanges per minute from one IP address (30)",
    "ARABESQUE_HANDOFF_RATE_BURST": "handoff exchanges one IP address may make at once before the rate applies (10)",
    "ARABESQUE_MAX_UPLOAD_BYTES": "largest accepted upload (15 MiB)",
    "ARABESQUE_MAX_MESSAGE_BYTES": "largest SDK message (256 KiB); larger ones get protocol.message_too_large, over "
                                   "4x it the connection is closed",
    "ARABESQUE_WORKERS": "processes in the verification pool (default: the CPU count)",
    "ARABESQUE_TASK_TIMEOUT_SECONDS": "how long a verification task may run (60)",
    "ARABESQUE_TIMER_POLL_SECONDS": "how often due timers (expiry, reminders) are looked for (1)",
    "ARABESQUE_REDIS_URL": "redis://... to run several nodes behind a load balancer (Socket.IO Redis manager)",
    "ARABESQUE_CORS_ORIGINS": "comma-separated origins allowed to connect from a browser",
    "ARABESQUE_TENANT": "the tenant of the bootstrap key ARABESQUE_API_KEY (default)",
    "ARABESQUE_LOG_LEVEL": "debug, info, warning or error (info)",
    "ARABESQUE_LOG_FORMAT": "json (one object a line on stderr), text, or auto: text on a terminal, else json (auto)",
    "ARABESQUE_METRICS": "on: GET /metrics answers (Prometheus text format, no authentication), off: it is not "
                         "routed (on)",
    "ARABESQUE_DEMO": "on: GET /demo serves the QA demo page, which opens sessions in ARABESQUE_TENANT for "
                      "anyone who can reach it from this machine (loopback only; `make run` turns it on), off: not "
                      "routed (off)",
    "ARABESQUE_S3_ENDPOINT_URL": "S3-compatible endpoint (MinIO, Ceph RGW, R2); unset for AWS S3",
    "ARABESQUE_S3_REGION": "bucket region (default: from AWS_REGION / AWS_DEFAULT_REGION)",
    "ARABESQUE_S3_ADDRESSING": "auto, path (MinIO, most self-hosted stores) or virtual",
    "ARABESQUE_S3_SSE": "server-side encryption: AES256 (SSE-S3) or aws:kms (SSE-KMS); unset for none",
    "ARABESQUE_S3_KMS_KEY_ID": "the KMS key for aws:kms",
    "ARABESQUE_S3_MAX_ATTEMPTS": "attempts per S3 call, with exponential backoff (4)",
    "ARABESQUE_S3_CONNECT_TIMEOUT": "seconds to connect to S3 (3)",
    "ARABESQUE_S3_READ_TIMEOUT": "seconds to wait for an S3 answer (20)",
    "ARABESQUE_PRESIGN_SECONDS": "lifetime of presigned upload and download URLs (300)",
    "ARABESQUE_RETENTION_SECONDS": "erase completed sessions this long after they end (0 = keep until DELETE)",
    "ARABESQUE_FACE_PROVIDER": "local (dlib on this server, default) or aws_rekognition (boto3; credentials from the "
                               "standard AWS chain)",
    "ARABESQUE_REKOGNITION_REGION": "region for the aws_rekognition provider (us-east-1)",
    "ARABESQUE_REKOGNITION_ENDPOINT_URL": "endpoint for the aws_rekognition provider (default: AWS)",
    "ARABESQUE_REKOGNITION_ACCESS_KEY_ID": "the key pair clients sign Rekognition-protocol requests with (SigV4); "
                                          "generated into the data dir when unset",
    "ARABESQUE_REKOGNITION_SECRET_ACCESS_KEY": "its secret",
    "ARABESQUE_SDK_RATE_PER_SECOND": "messages per second one SDK connection may send (and HTTP requests per "
                                     "second per session), refilling a bucket (20)",
    "ARABESQUE_SDK_RATE_BURST": "how many an SDK connection may send at once before the rate applies (40)",
    "ARABESQUE_API_RATE_PER_SECOND": "requests per second one API key may make (100)",
    "ARABESQUE_API_RATE_BURST": "how many an API key may make at once before the rate applies (200)",
    "ARABESQUE_WRITE_QUEUE_LIMIT": "database writes that may wait for the writer before new ones get server.busy "
                                   "(5000)",
    "ARABESQUE_WRITE_WAIT_SECONDS": "how long a write may wait for the writer before it gets server.busy (10)",
    "ARABESQUE_SESSION_CACHE_SIZE": "sessions kept decoded in memory per node (20000)",
    "ARABESQUE_FACE_INDEX_SIZE": "enrolled face descriptors held in memory for search per node (2000000)",
    "ARABESQUE_COOKIE_SECURE": "the back-office cookies' Secure flag: auto (when the request came over https), true or "
                               "false (auto)",
    "ARABESQUE_LOGIN_TTL_SECONDS": "how long a back-office login lasts (28800: 8 hours)",
    "ARABESQUE_LOGIN_RATE_PER_MINUTE": "back-office login attempts per minute from one IP address (10)",
    "ARABESQUE_LOGIN_RATE_BURST": "login attempts one IP address may make at once before the rate applies (10)",
    "ARABESQUE_KEY_CACHE_SECONDS": "how long a node remembers an API key lookup, so a key made, rotated or revoked "
                                   "elsewhere (the CLI, another node) counts within this time (10; 0 = every request)",
    "ARABESQUE_JOBS": "where background work (checks, timers, erasure, webhook deliveries) runs: local (in each "
                      "server process, the default) or procrastinate (jobs in PostgreSQL, run by `arabesque worker`)",
    "ARABESQUE_JOB_CONCURRENCY": "jobs one worker node runs at once (default: 4 x ARABESQUE_WORKERS)",
    "ARABESQUE_JOB_HEARTBEAT_SECONDS": "how often a worker node tells PostgreSQL it is alive (5)",
    "ARABESQUE_JOB_STALLED_SECONDS": "a worker silent this long is taken for dead and its jobs run elsewhere (20)",
    "ARABESQUE_WEBHOOK_RETRY_SECONDS": "comma-separated seconds before each webhook delivery attempt, with +-20 % "
                                      "jitter; after the last the delivery is failed (0,5,300,1800,7200,18000,36000,"
                                      "36000)",
    "ARABESQUE_WEBHOOK_DISABLE_AFTER_SECONDS": "a subscription whose deliveries all failed for this long is "
                                               "disabled (432000: 5 days)",
    "ARABESQUE_WEBHOOK_ALLOWED_HOSTS": "comma-separated hosts or CIDRs webhooks may reach although private, "
                                       "loopback, link-local or reserved (none)",
    "ARABESQUE_WEBHOOK_CONNECT_TIMEOUT_SECONDS": "seconds to connect to a webhook receiver (5)",
    "ARABESQUE_WEBHOOK_TIMEOUT_SECONDS": "seconds a whole webhook request may take, answer included (15)",
    "ARABESQUE_WEBHOOK_MAX_RESPONSE_BYTES": "how much of a receiver's answer is read at most (65536)",
    "ARABESQUE_WEBHOOK_SECRET_OVERLAP_SECONDS": "how long the old secret still signs after a rotation (86400)",
    "ARABESQUE_WEBHOOK_SWEEP_SECONDS": "how often due and interrupted webhook deliveries are looked for (2)",
    "ARABESQUE_WEBHOOK_SECRETS_KEY": "the key webhook secrets are sealed with in the database (any long random "
                                     "string; every node needs the same); default: generated into the data dir",
}


def load_settings(environ: Mapping[str, str]) -> Settings:
    """Settings from `ARABESQUE_*` variables; a bad value is a ConfigError naming the variable."""
    raw = {k.removeprefix(PREFIX).lower(): v for k, v in environ.items() if k.startswith(PREFIX)}
    unknown = sorted(f"{PREFIX}{k.upper()}" for k in raw if k not in Settings.__struct_fields__)
    if unknown:
        raise ConfigError(f"Expected only documented ARABESQUE_* variables, got {', '.join(unknown)}",
                          unknown=unknown)
    try:
        settings = msgspec.convert(raw, Settings, strict=False)
    except msgspec.ValidationError as exc:
        message, path = describe_error(exc)
        expected = message.split(", got ", 1)[0]  # msgspec's "got `str`" says less than the value itself
        field = path.removeprefix("$.") if path.startswith("$.") else ""
        name = f"{PREFIX}{field.upper()}" if field else "configuration"
        raise ConfigError(f"{name}: {expected}, got {raw.get(field, '')!r}", variable=name) from None
    for name in ("token_ttl_seconds", "max_upload_bytes", "max_message_bytes", "task_timeout_seconds",
                 "timer_poll_seconds", "sdk_rate_per_second", "sdk_rate_burst", "api_rate_per_second",
                 "api_rate_burst", "write_queue_limit", "write_wait_seconds", "session_cache_size", "face_index_size",
                 "login_ttl_seconds", "login_rate_per_minute", "login_rate_burst", "handoff_seconds",
                 "handoff_rate_per_minute", "handoff_rate_burst"):
        if getattr(settings, name) <= 0:
            raise ConfigError(f"{PREFIX}{name.upper()}: expected a positive number, got {getattr(settings, name)}",
                              variable=f"{PREFIX}{name.upper()}")
    if not TENANT_PATTERN.match(settings.tenant):
        raise ConfigError(f"{PREFIX}TENANT: expected lowercase letters, digits, - and _ (at most 64), got "
                          f"{settings.tenant!r}", variable=f"{PREFIX}TENANT")
    if settings.key_cache_seconds < 0:
        raise ConfigError(f"{PREFIX}KEY_CACHE_SECONDS: expected 0 (no cache) or more, got {settings.key_cache_seconds}",
                          variable=f"{PREFIX}KEY_CACHE_SECONDS")
    if settings.workers < 0:
        raise ConfigError(f"{PREFIX}WORKERS: expected 0 (the CPU count) or more, got {settings.workers}",
                          variable=f"{PREFIX}WORKERS")
    if settings.s3_addressing not in ("auto", "path", "virtual"):
        raise ConfigError(f"{PREFIX}S3_ADDRESSING: expected auto, path or virtual, got {settings.s3_addressing!r}",
                          variable=f"{PREFIX}S3_ADDRESSING")
    if settings.retention_seconds < 0 or settings.presign_seconds <= 0:
        raise ConfigError(f"{PREFIX}RETENTION_SECONDS / {PREFIX}PRESIGN_SECONDS: expected >= 0 and > 0",
                          variable=f"{PREFIX}RETENTION_SECONDS")
    if settings.face_provider not in ("local", "aws_rekognition"):
        raise ConfigError(f"{PREFIX}FACE_PROVIDER: expected local or aws_rekognition, got {settings.face_provider!r}",
                          variable=f"{PREFIX}FACE_PROVIDER")
    if bool(settings.rekognition_access_key_id) != bool(settings.rekognition_secret_access_key):
        raise ConfigError(f"{PREFIX}REKOGNITION_ACCESS_KEY_ID and {PREFIX}REKOGNITION_SECRET_ACCESS_KEY: expected both "
                          "or neither, got one", variable=f"{PREFIX}REKOGNITION_ACCESS_KEY_ID")
    if settings.jobs not in ("local", "procrastinate"):
        raise ConfigError(f"{PREFIX}JOBS: expected local or procrastinate, got {settings.jobs!r}",
                          variable=f"{PREFIX}JOBS")
    if settings.jobs == "procrastinate" and not settings.resolved_database_url.startswith("postgresql"):
        raise ConfigError(f"{PREFIX}JOBS: procrastinate keeps its jobs in PostgreSQL; expected "
                          f"{PREFIX}DATABASE_URL=postgresql+asyncpg://..., got "
                          f"{settings.resolved_database_url.split('://', 1)[0]}", variable=f"{PREFIX}JOBS")
    if settings.job_concurrency < 0 or settings.job_heartbeat_seconds <= 0 or \
            settings.job_stalled_seconds <= 2 * settings.job_heartbeat_seconds:
        raise ConfigError(f"{PREFIX}JOB_CONCURRENCY / {PREFIX}JOB_HEARTBEAT_SECONDS / {PREFIX}JOB_STALLED_SECONDS: "
                          "expected concurrency >= 0, heartbeat > 0 and stalled > twice the heartbeat, got "
                          f"{settings.job_concurrency}, {settings.job_heartbeat_seconds}, "
                          f"{settings.job_stalled_seconds}", variable=f"{PREFIX}JOB_STALLED_SECONDS")
    if settings.cookie_secure not in ("auto", "true", "false"):
        raise ConfigError(f"{PREFIX}COOKIE_SECURE: expected auto, true or false, got {settings.cookie_secure!r}",
                          variable=f"{PREFIX}COOKIE_SECURE")
    if settings.log_level not in ("debug", "info", "warning", "error"):
        raise ConfigError(f"{PREFIX}LOG_LEVEL: expected debug, info, warning or error, got {settings.log_level!r}",
                          variable=f"{PREFIX}LOG_LEVEL")
    if settings.log_format not in ("auto", "json", "text"):
        raise ConfigError(f"{PREFIX}LOG_FORMAT: expected auto, json or text, got {settings.log_format!r}",
                          variable=f"{PREFIX}LOG_FORMAT")
    if settings.metrics not in ("on", "off"):
        raise ConfigError(f"{PREFIX}METRICS: expected on or off, got {settings.metrics!r}",
                          variable=f"{PREFIX}METRICS")
    if settings.demo not in ("on", "off"):
        raise ConfigError(f"{PREFIX}DEMO: expected on or off, got {settings.demo!r}", variable=f"{PREFIX}DEMO")
    _check_webhooks(settings)
    return settings


def _check_webhooks(settings: Settings) -> None:
    name = f"{PREFIX}WEBHOOK_RETRY_SECONDS"
    try:
        schedule = settings.webhook_schedule
    except ValueError:
        raise ConfigError(f"{name}: expected comma-separated seconds, got {settings.webhook_retry_seconds!r}",
                          variable=name) from None
    if not schedule or any(s < 0 for s in schedule):
        raise ConfigError(f"{name}: expected at least one delay, none negative, got {settings.webhook_retry_seconds!r}",
                          variable=name)
    for field in ("webhook_disable_after_seconds", "webhook_connect_timeout_seconds", "webhook_timeout_seconds",
                  "webhook_max_response_bytes", "webhook_secret_overlap_seconds", "webhook_sweep_seconds"):
        if getattr(settings, field) <= 0:
            raise ConfigError(f"{PREFIX}{field.upper()}: expected a positive number, got {getattr(settings, field)}",
                              variable=f"{PREFIX}{field.upper()}")


__all__ = ["DOCUMENTED", "ConfigError", "Settings", "load_settings"]
