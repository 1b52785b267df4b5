"""TaskInfo: what a checkpoint says about the task it was trained on, typed and parsed once
(``checkpoint.task``). Rebuild the task itself with ``lstm_viz.tasks.from_info``."""

from __future__ import annotations

from dataclasses import dataclass, field
from typing import Any


@dataclass(frozen=True)
class TaskInfo:
    """What a checkpoint's config.json says about the task it was trained on (its "task" entry),
    parsed once. Every field may be missing in an old or foreign checkpoint."""

    name: str | None = None  # a registered task (lstm_viz.tasks.TASKS), or e.g. "uploaded"
    title: str | None = None  # what a page shows
    params: dict[str, Any] = field(default_factory=dict)  # the task's parameters, as trained
    objective: str | None = None
    metric: str | None = None
    hidden_variable: str | None = None  # the name of the task's known hidden variable

    @classmethod
    def from_info(cls, info: dict[str, Any] | None) -> TaskInfo | None:
        """The "task" entry of a checkpoint's info, or None when there is none (or it is not a
        mapping). Fields of the wrong type are dropped, never trusted."""
        task = (info or {}).get("task")
        if not isinstance(task, dict) or not task:
            return None

        def text(key: str) -> str | None:
            value = task.get(key)
            return value if isinstance(value, str) else None

        params = task.get("params")
        return cls(
            name=text("name"),
            title=text("title"),
            params=dict(params) if isinstance(params, dict) else {},
            objective=text("objective"),
            metric=text("metric"),
            hidden_variable=text("hidden_variable"),
        )

    @property
    def label(self) -> str:
        """The title, else the name, else "unknown task"."""
        return self.title or self.name or "unknown task"
