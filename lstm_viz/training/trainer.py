"""The trainer: AdamW, gradient clipping, a cosine schedule, early stopping, truncated BPTT.

It knows nothing about the UI: it reports through callbacks (progress, evaluation) and asks one
(should_stop) whether to stop, so a page, the CLI or a test can drive it the same way.
"""

from __future__ import annotations

import math
import time
from collections.abc import Callable
from dataclasses import asdict, dataclass
from pathlib import Path
from typing import Any

import torch
from torch import nn
from torch.nn import functional as F

from lstm_viz.models.checkpoints import OPTIMIZER, load_checkpoint, save_checkpoint
from lstm_viz.models.sequence import PER_STEP, ModelConfig, SequenceModel
from lstm_viz.tasks.base import IGNORE, Batch, Task
from lstm_viz.training.callbacks import Callbacks, Evaluation, Progress, TrainResult
from lstm_viz.training.probe import probe_recorder
from lstm_viz.training.randomness import RandomStream

LOWER_IS_BETTER = {"bits_per_token", "mse"}


@dataclass(frozen=True)
class TrainConfig:
    """How to train; every field has a sensible default for a small model on a laptop CPU."""

    epochs: int = 10  # at most this many passes over the training split
    batch_size: int = 32
    learning_rate: float = 3e-3  # peak learning rate (AdamW)
    weight_decay: float = 0.01
    clip_norm: float = 1.0  # gradient-norm clipping; 0 turns it off
    schedule: str = "cosine"  # "cosine" (warm-up then cosine decay) or "constant"
    warmup_steps: int = 20
    evals_per_epoch: int = 1  # validation runs per epoch (more: finer curves and early stopping)
    patience: int = 5  # stop after this many evaluations without improvement; 0 never stops early
    target: float | None = None  # stop once the validation metric reaches this (e.g. 0.99)
    max_seconds: float | None = None  # stop after this much training time
    device: str = "auto"  # "auto", "cpu", "cuda" or "mps"
    seed: int = 0

    def __post_init__(self) -> None:
        checks = [
            (1 <= self.epochs <= 10_000, "epochs must be in [1, 10000]"),
            (1 <= self.batch_size <= 4096, "batch_size must be in [1, 4096]"),
            (0 < self.learning_rate <= 1.0, "learning_rate must be in (0, 1]"),
            (0 <= self.weight_decay <= 1.0, "weight_decay must be in [0, 1]"),
            (self.clip_norm >= 0, "clip_norm must be >= 0"),
            (self.schedule in ("cosine", "constant"), "schedule must be 'cosine' or 'constant'"),
            (self.warmup_steps >= 0, "warmup_steps must be >= 0"),
            (1 <= self.evals_per_epoch <= 1000, "evals_per_epoch must be in [1, 1000]"),
            (self.patience >= 0, "patience must be >= 0"),
            (self.max_seconds is None or self.max_seconds > 0, "max_seconds must be > 0"),
            (
                self.device in ("auto", "cpu", "cuda", "mps"),
                "device must be auto, cpu, cuda or mps",
            ),
        ]
        problems = [message for ok, message in checks if not ok]
        if problems:
            raise ValueError("; ".join(problems))


def _with_last(items):
    """(item, True for the last one) for each of ``items``, read one ahead."""
    it = iter(items)
    previous = next(it, _NONE)
    for item in it:
        yield previous, False
        previous = item
    if previous is not _NONE:
        yield previous, True


_NONE = object()


def resolve_device(name: str) -> torch.device:
    """ "auto" picks CUDA, then MPS, then the CPU; asking for one that is missing is an error."""
    if name == "auto":
        if torch.cuda.is_available():
            return torch.device("cuda")
        if torch.backends.mps.is_available():
            return torch.device("mps")
        return torch.device("cpu")
    if name == "cuda" and not torch.cuda.is_available():
        raise ValueError("device 'cuda' was asked for, but no CUDA GPU is available")
    if name == "mps" and not torch.backends.mps.is_available():
        raise ValueError("device 'mps' was asked for, but MPS is not available")
    return torch.device(name)


def model_config_for(task: Task, **settings: Any) -> ModelConfig:
    """A ModelConfig that fits ``task`` (input kind, outputs), with the given settings."""
    size = (
        {"vocab_size": len(task.vocab)}
        if task.vocab is not None
        else {"input_size": task.input_size}
    )
    return ModelConfig(objective=task.objective, num_outputs=task.num_outputs, **size, **settings)


def loss_and_score(
    model_output: torch.Tensor, batch: Batch, objective: str
) -> tuple[torch.Tensor, float, int]:
    """(mean loss, summed metric numerator, number of scored predictions) for one batch."""
    if objective in ("next_token", "step_class", "sequence_class"):
        targets = batch.targets
        if objective in PER_STEP:  # [B, T]: padded steps are never scored
            targets = targets.masked_fill(~batch.mask.to(targets.device), IGNORE)
        logits = model_output.reshape(-1, model_output.shape[-1])
        flat = targets.reshape(-1)
        loss = F.cross_entropy(logits, flat, ignore_index=IGNORE)
        scored = flat != IGNORE
        correct = (logits.argmax(-1) == flat)[scored].sum().item()
        return loss, float(correct), int(scored.sum().item())
    # step_value [B, T, O] or sequence_value [B, O]: squared error on real steps
    error = (model_output - batch.targets) ** 2
    if objective == "step_value":
        error = error[batch.mask.to(error.device)]
    return error.mean(), float(error.sum().item()), error.numel()


class Trainer:
    """Trains a SequenceModel on a Task. Usage: ``Trainer(model, task, config).fit()``."""

    def __init__(
        self,
        model: SequenceModel,
        task: Task,
        config: TrainConfig | None = None,
        callbacks: Callbacks | None = None,
        checkpoint_dir: str | Path | None = None,
        info: dict[str, Any] | None = None,
    ) -> None:
        self.config = config or TrainConfig()
        self.task = task
        self.callbacks = callbacks or Callbacks()
        self.checkpoint_dir = Path(checkpoint_dir) if checkpoint_dir is not None else None
        self.info = info or {}
        self.device = resolve_device(self.config.device)
        self.random = RandomStream(self.config.seed)  # dropout's masks: randomness.py
        if self.device.type == "cuda":  # dropout on a GPU draws from CUDA's generator
            torch.cuda.manual_seed_all(self.config.seed)
        self.generator = torch.Generator().manual_seed(self.config.seed)
        self.model = model.to(self.device)
        self.optimizer = torch.optim.AdamW(
            self.model.parameters(),
            lr=self.config.learning_rate,
            weight_decay=self.config.weight_decay,
        )
        self.step = 0
        self.best: float | None = None
        self.probe = probe_recorder(task, self.checkpoint_dir)  # units emerging: probe.py

    @classmethod
    def resume(
        cls,
        checkpoint_dir: str | Path,
        task: Task,
        config: TrainConfig | None = None,
        callbacks: Callbacks | None = None,
    ) -> Trainer:
        """Continue from a checkpoint this trainer saved: weights, optimizer moments, step count."""
        checkpoint = load_checkpoint(checkpoint_dir)
        trainer = cls(checkpoint.model, task, config, callbacks, checkpoint_dir, checkpoint.info)
        saved = checkpoint.info.get("training") or {}  # types checked by read_config
        trainer.step = int(saved.get("step", 0))
        trainer.best = saved.get("best_metric")
        trainer.probe = probe_recorder(task, checkpoint_dir, resume=True)
        optimizer_file = Path(checkpoint_dir) / OPTIMIZER
        if optimizer_file.exists():
            trainer._load_optimizer(optimizer_file)
        return trainer

    # ---- the loop ------------------------------------------------------------------------------
    def fit(self) -> TrainResult:
        cfg, task = self.config, self.task
        batches_per_epoch = math.ceil(len(task.sequences("train")) / cfg.batch_size)
        if task.continues:
            batches_per_epoch = sum(1 for _ in task.batches("train", cfg.batch_size))
        total = cfg.epochs * batches_per_epoch
        # Validation after these batches of every epoch: evals_per_epoch marks spread evenly
        # (every batch when there are fewer batches than validations).
        marks = {
            max(1, round((k + 1) * batches_per_epoch / cfg.evals_per_epoch))
            for k in range(cfg.evals_per_epoch)
        }
        schedule = self._schedule(total)
        result = TrainResult(self.model)
        best_state = {k: v.detach().clone() for k, v in self.model.state_dict().items()}
        waited, losses, tokens, eval_seconds = 0, [], 0, 0.0
        start = time.perf_counter()
        stop = None
        for epoch in range(cfg.epochs):
            state = None  # carried across batches of one stream (truncated BPTT)
            batches = task.batches("train", cfg.batch_size, generator=self.generator)
            for index, (batch, last) in enumerate(_with_last(batches), 1):
                self.model.train()
                batch = batch.to(self.device)
                state = state if task.continues and _fits(state, batch) else None
                with self.random.active():  # dropout draws from this run's own stream
                    output, state = self.model(batch.inputs, batch.lengths, state)
                state = _detach(state)
                loss, _, _ = loss_and_score(output, batch, task.objective)
                self.optimizer.zero_grad(set_to_none=True)
                loss.backward()
                if cfg.clip_norm > 0:
                    nn.utils.clip_grad_norm_(self.model.parameters(), cfg.clip_norm)
                for group in self.optimizer.param_groups:
                    group["lr"] = cfg.learning_rate * schedule(self.step)
                self.optimizer.step()
                self.step += 1
                losses.append(loss.item())
                tokens += int(batch.lengths.sum())
                elapsed = time.perf_counter() - start
                if self.callbacks.on_progress:
                    speed = tokens / max(elapsed - eval_seconds, 1e-9)
                    self.callbacks.on_progress(
                        Progress(self.step, total, epoch, losses[-1], elapsed, speed)
                    )
                if self.callbacks.should_stop and self.callbacks.should_stop():
                    stop = "cancelled"
                elif cfg.max_seconds and time.perf_counter() - start > cfg.max_seconds:
                    stop = "time"
                # Validate on schedule, after the epoch's last batch (the last mark, read where
                # the epoch really ends: a stream re-made each epoch, text-english with
                # readings, can be a batch shorter or longer than the first), and always before
                # stopping, so no step is left unjudged.
                if (index in marks and index < batches_per_epoch) or last or stop:
                    eval_start = time.perf_counter()
                    evaluation = self._evaluate(epoch + 1, sum(losses) / len(losses))
                    eval_seconds += time.perf_counter() - eval_start
                    losses = []
                    result.history.append(evaluation)
                    waited = 0 if evaluation.best else waited + 1
                    if evaluation.best:
                        best_state = {
                            k: v.detach().clone() for k, v in self.model.state_dict().items()
                        }
                        result.checkpoint = self._save()
                    if self.probe is not None:  # after _save: it swaps the folder in
                        self.probe.record(self.model, self.step, evaluation.val_metric)
                    if self.callbacks.on_evaluation:
                        self.callbacks.on_evaluation(evaluation)
                    stop = stop or self._why_stop(evaluation, waited)
                if stop:
                    break
            if stop:
                break
        self.model.load_state_dict(best_state)
        result.seconds = time.perf_counter() - start
        result.steps = self.step
        result.best_metric = self.best
        result.stopped = stop or "finished"
        result.eval_seconds = eval_seconds
        result.tokens_per_second = tokens / max(result.seconds - eval_seconds, 1e-9)
        if result.checkpoint is not None:  # the cell state's colour range (issue 16), not timed
            from lstm_viz.analysis.scales import write_measured_scales

            write_measured_scales(result.checkpoint, self.model, self.task, self.device, 5_000)
        return result

    @torch.no_grad()
    def evaluate(self, split: str = "validation") -> tuple[float, float]:
        """(mean loss, metric) over a whole split."""
        self.model.eval()
        total_loss, numerator, count, batches = 0.0, 0.0, 0, 0
        state = None
        for batch in self.task.batches(split, self.config.batch_size, shuffle=False):
            batch = batch.to(self.device)
            state = state if self.task.continues and _fits(state, batch) else None
            output, state = self.model(batch.inputs, batch.lengths, state)
            loss, score, scored = loss_and_score(output, batch, self.task.objective)
            total_loss += loss.item()
            numerator += score
            count += scored
            batches += 1
        mean_loss = total_loss / max(batches, 1)
        metric = self.task.metric
        if metric == "accuracy":
            return mean_loss, numerator / max(count, 1)
        if metric == "bits_per_token":
            return mean_loss, mean_loss / math.log(2)
        return mean_loss, numerator / max(count, 1)

    # ---- pieces --------------------------------------------------------------------------------
    def _evaluate(self, epoch: float, train_loss: float) -> Evaluation:
        val_loss, metric = self.evaluate()
        lower = self.task.metric in LOWER_IS_BETTER
        best = self.best is None or (metric < self.best if lower else metric > self.best)
        if best:
            self.best = metric
        return Evaluation(self.step, epoch, train_loss, val_loss, metric, self.task.metric, best)

    def _why_stop(self, evaluation: Evaluation, waited: int) -> str | None:
        cfg = self.config
        if cfg.target is not None:
            lower = evaluation.metric in LOWER_IS_BETTER
            if (
                (evaluation.val_metric <= cfg.target)
                if lower
                else (evaluation.val_metric >= cfg.target)
            ):
                return "target reached"
        if cfg.patience and waited >= cfg.patience:
            return "early stopping"
        return None

    def _schedule(self, total: int) -> Callable[[int], float]:
        warmup = min(self.config.warmup_steps, max(total // 10, 1))

        def factor(step: int) -> float:
            if step < warmup:
                return (step + 1) / warmup
            if self.config.schedule == "constant":
                return 1.0
            progress = (step - warmup) / max(total - warmup, 1)
            return 0.1 + 0.9 * 0.5 * (1 + math.cos(math.pi * min(progress, 1.0)))

        return factor

    def _save(self) -> Path | None:
        if self.checkpoint_dir is None:
            return None
        return save_checkpoint(
            self.checkpoint_dir,
            self.model,
            self.task.vocab,
            self.checkpoint_info(),
            self._optimizer_tensors(),
        )

    def checkpoint_info(self) -> dict[str, Any]:
        """What config.json says besides the model: the task, the best metric, the training."""
        return {
            **self.info,
            "task": {
                "name": self.task.name,
                "title": self.task.title,
                "params": self.task.params,
                "objective": self.task.objective,
                "metric": self.task.metric,
                "hidden_variable": self.task.hidden_variable,
            },
            "metrics": {f"validation_{self.task.metric}": self.best},
            "training": {
                "step": self.step,
                "best_metric": self.best,
                "config": asdict(self.config),
            },
        }

    def _optimizer_tensors(self) -> dict[str, torch.Tensor]:
        names = {id(p): n for n, p in self.model.named_parameters()}
        tensors = {}
        for p, state in self.optimizer.state.items():
            for key, value in state.items():
                if torch.is_tensor(value):
                    tensors[f"{names[id(p)]}/{key}"] = (
                        value.reshape(-1) if value.dim() == 0 else value
                    )
        return tensors

    def _load_optimizer(self, path: Path) -> None:
        from safetensors.torch import load_file

        saved = load_file(path)
        params = dict(self.model.named_parameters())
        for key, value in saved.items():
            name, slot = key.rsplit("/", 1)
            if name in params:
                state = self.optimizer.state[params[name]]
                state[slot] = value.reshape(()) if slot == "step" else value.to(self.device)


def _fits(state: Any, batch: Batch) -> bool:
    if state is None:
        return False
    first = state[0] if isinstance(state, tuple) else state
    return first.shape[1] == batch.inputs.shape[0]


def _detach(state: Any) -> Any:
    if state is None:
        return None
    if isinstance(state, tuple):
        return tuple(s.detach() for s in state)
    return state.detach()
