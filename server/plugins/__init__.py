"""Tasks beyond the built-in checks: the `http` task, and tasks that installed packages provide through the
`arabesque.tasks` entry point group; `load_tasks` is the one registry the server and the checker share."""

from server.plugins.registry import Tasks, TaskSource, build_http_task, checked_tasks, declared_check, load_tasks

__all__ = ["TaskSource", "Tasks", "build_http_task", "checked_tasks", "declared_check", "load_tasks"]
