from .base import IGNORE, Batch, Objective, Task
