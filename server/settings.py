"""Configuration: read from environment variables only, in this one place."""

from __future__ import annotations

import os
from collections.abc import Mapping
from pathlib import Path
from typing import ClassVar

import msgspec

from sdk_protocol import DEFAULT_LIMITS, Limits, SdkError, describe_error
from server.access import TENANT_PATTERN
from server.settings_docs import DOCUMENTED  # the settings table; re-exported

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
    # --- the journeys' `http` task (server/plugins/http_task.py) and the secrets it may send
    http_allowed_hosts: str = ""
    http_max_response_bytes: int = 1024 * 1024
    secrets: str = ""
    secrets_file: str = ""
    # --- sanctions and PEP screening (server/screening)
    screening_backend: str = "local"
    screening_list: str = ""
    screening_threshold: float = 0.94
    """chosen by `arabesque bench screening` on its calibration split (README, Performance)"""
    screening_yente_url: str = ""
    screening_yente_dataset: str = "default"
    screening_timeout_seconds: float = 10.0

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


def _check_screening(settings: Settings) -> None:
    if settings.screening_backend not in ("local", "yente"):
        raise ConfigError(f"{PREFIX}SCREENING_BACKEND: expected local or yente, got {settings.screening_backend!r}",
                          variable=f"{PREFIX}SCREENING_BACKEND")
    if settings.screening_list and not Path(settings.screening_list).expanduser().exists():
        raise ConfigError(f"{PREFIX}SCREENING_LIST: expected an FtM file or folder, found nothing at "
                          f"{settings.screening_list}", variable=f"{PREFIX}SCREENING_LIST")
    if not 0 < settings.screening_threshold <= 1 or settings.screening_timeout_seconds <= 0:
        raise ConfigError(f"{PREFIX}SCREENING_THRESHOLD / {PREFIX}SCREENING_TIMEOUT_SECONDS: expected a threshold in "
                          f"(0, 1] and a timeout > 0, got {settings.screening_threshold} and "
                          f"{settings.screening_timeout_seconds}", variable=f"{PREFIX}SCREENING_THRESHOLD")


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
    _check_screening(settings)
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
                  "webhook_max_response_bytes", "webhook_secret_overlap_seconds", "webhook_sweep_seconds",
                  "http_max_response_bytes"):
        if getattr(settings, field) <= 0:
            raise ConfigError(f"{PREFIX}{field.upper()}: expected a positive number, got {getattr(settings, field)}",
                              variable=f"{PREFIX}{field.upper()}")


__all__ = ["DOCUMENTED", "ConfigError", "Settings", "load_settings"]
