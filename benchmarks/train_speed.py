"""Training speed on this machine: `python benchmarks/train_speed.py [--device cpu]`

1. Throughput: our Trainer against a minimal plain-PyTorch loop, same model, same batches, in the
   same run (tokens trained on per second; the trainer's validation runs are not counted).
2. The adding problem at length 100: an LSTM and a vanilla RNN with the same budget (model size,
   learning rate, batches, seconds). Solved means validation MSE below 0.01; always answering
   1.0 scores 0.167.
3. Bracket depth: the seconds an LSTM needs to reach 99% validation accuracy (the last line).
"""

from __future__ import annotations

import argparse
import time

import torch
from torch import nn

from lstm_viz.models.sequence import SequenceModel
from lstm_viz.tasks import make_task
from lstm_viz.tasks.memory import ADDING_SOLVED_MSE
from lstm_viz.training import TrainConfig, Trainer, loss_and_score, model_config_for


def plain_loop_tokens_per_second(model, task, config: TrainConfig) -> float:
    """The smallest honest training loop: forward, loss, backward, clip, AdamW step."""
    optimizer = torch.optim.AdamW(
        model.parameters(), lr=config.learning_rate, weight_decay=config.weight_decay
    )
    generator = torch.Generator().manual_seed(config.seed)
    tokens, start = 0, time.perf_counter()
    for _ in range(config.epochs):
        for batch in task.batches("train", config.batch_size, generator=generator):
            batch = batch.to(config.device)
            model.train()
            output, _ = model(batch.inputs, batch.lengths)
            loss, _, _ = loss_and_score(output, batch, task.objective)
            optimizer.zero_grad(set_to_none=True)
            loss.backward()
            nn.utils.clip_grad_norm_(model.parameters(), config.clip_norm)
            optimizer.step()
            tokens += int(batch.lengths.sum())
    return tokens / (time.perf_counter() - start)


def throughput(device: str) -> None:
    task = make_task("dyck")
    config = TrainConfig(epochs=2, batch_size=32, evals_per_epoch=1, patience=0, device=device)
    settings = dict(hidden_size=64, embedding_size=16)
    ours, plain = [], []
    for _ in range(2):  # alternate, so drift in machine load hits both
        torch.manual_seed(0)
        ours.append(
            Trainer(SequenceModel(model_config_for(task, **settings)), task, config)
            .fit()
            .tokens_per_second
        )
        torch.manual_seed(0)
        model = SequenceModel(model_config_for(task, **settings)).to(device)
        plain.append(plain_loop_tokens_per_second(model, task, config))
    print(
        f"throughput (dyck, LSTM 64): trainer {max(ours):,.0f} tokens/s, "
        f"plain loop {max(plain):,.0f} tokens/s, ratio {max(ours) / max(plain):.2f}"
    )


def adding(device: str, seconds: float) -> None:
    task = make_task("adding", length=100)
    for cell in ("lstm", "rnn_tanh"):
        torch.manual_seed(0)
        model = SequenceModel(model_config_for(task, cell=cell, hidden_size=64, embedding_size=16))
        config = TrainConfig(
            epochs=1000,
            batch_size=64,
            learning_rate=3e-3,
            evals_per_epoch=4,
            patience=0,
            target=ADDING_SOLVED_MSE / 2,
            max_seconds=seconds,
            device=device,
        )
        result = Trainer(model, task, config).fit()
        verdict = "solved" if result.best_metric < ADDING_SOLVED_MSE else "not solved"
        print(
            f"adding problem T=100, {cell:8s}: validation MSE {result.best_metric:.4f} "
            f"after {result.steps} steps, {result.seconds:.0f} s ({verdict})",
            flush=True,
        )


def bracket(device: str) -> None:
    task = make_task("dyck")
    torch.manual_seed(0)
    model = SequenceModel(model_config_for(task, hidden_size=32, embedding_size=16))
    config = TrainConfig(
        epochs=100,
        batch_size=32,
        learning_rate=1e-2,
        evals_per_epoch=4,
        patience=0,
        target=0.99,
        device=device,
    )
    result = Trainer(model, task, config).fit()
    print(
        f"bracket depth: {result.stopped}, validation accuracy {result.best_metric:.4f} "
        f"after {result.steps} steps ({result.eval_seconds:.1f} s of it validation)"
    )
    print(f"bracket 99% val acc seconds: {result.seconds:.1f}")


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--device", default="cpu")
    parser.add_argument(
        "--adding-seconds",
        type=float,
        default=120.0,
        help="training budget for each cell on the adding problem",
    )
    args = parser.parse_args()
    print(f"torch {torch.__version__}, device {args.device}, threads {torch.get_num_threads()}")
    throughput(args.device)
    adding(args.device, args.adding_seconds)
    bracket(args.device)


if __name__ == "__main__":
    main()
