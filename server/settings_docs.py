"""What each setting means, as the README's settings table says it: `ARABESQUE_<FIELD>` for every field of
`server.settings.Settings` (tests/server/test_settings.py holds the three together)."""

from __future__ import annotations

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
    "ARABESQUE_HTTP_ALLOWED_HOSTS": "comma-separated hosts or CIDRs the journeys' http task may reach although "
                                    "private, loopback, link-local or reserved (none)",
    "ARABESQUE_HTTP_MAX_RESPONSE_BYTES": "the largest answer an http task reads; a task's own `max_bytes` may only "
                                         "be lower (1048576)",
    "ARABESQUE_SECRETS": "a JSON object of secret names to values that http tasks reference as {secrets.NAME} "
                         "(none)",
    "ARABESQUE_SECRETS_FILE": "a file of `name=value` lines (# comments) with more secrets; it wins a name both give",
    "ARABESQUE_SCREENING_BACKEND": "where the screening task looks names up: local (the FtM list of "
                                   "ARABESQUE_SCREENING_LIST, default) or yente (ARABESQUE_SCREENING_YENTE_URL)",
    "ARABESQUE_SCREENING_LIST": "a sanctions/PEP list in FollowTheMoney JSON lines: a file or a folder of .json, "
                                ".jsonl or .ftm.json files (none: screening fails with screening.not_configured)",
    "ARABESQUE_SCREENING_THRESHOLD": "the review threshold: candidates scoring this or more count as hits (0.94)",
    "ARABESQUE_SCREENING_YENTE_URL": "base URL of a yente server for the yente backend (none)",
    "ARABESQUE_SCREENING_YENTE_DATASET": "the yente dataset to match against (default)",
    "ARABESQUE_SCREENING_TIMEOUT_SECONDS": "seconds a yente match request may take (10)",
}

__all__ = ["DOCUMENTED"]
