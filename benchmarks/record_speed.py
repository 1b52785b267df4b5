"""How much does recording cost? `python benchmarks/record_speed.py [--repeats N] [--device D]`

For each case, in the same run and on the same input, medians of N runs of:
- fused:   the module's plain forward under torch.no_grad() (the fused kernel: oneDNN / cuDNN),
- record:  lstm_viz.record() of every gate and state of every layer,
- loop:    the usual alternative, a per-step Python loop over nn.LSTMCell-style equations that
           keeps every gate (timed on fewer steps for long cases, then scaled per step).
Prints record/fused and loop/record ratios. The last line is the headline ratio.
"""

from __future__ import annotations

import argparse
import statistics
import time

import torch
from torch import nn

from lstm_viz import record, tune_allocator

CASES = [  # name, kind, steps, batch, input, hidden, layers, bidirectional
    ("T=1000,B=1,H=256,L=2", "lstm", 1000, 1, 64, 256, 2, False),
    ("T=100,B=16,H=256,L=2", "lstm", 100, 16, 64, 256, 2, False),
    ("T=10000,B=1,H=256,L=2", "lstm", 10000, 1, 64, 256, 2, False),
    ("T=1000,B=1,H=1024,L=1", "lstm", 1000, 1, 64, 1024, 1, False),
    ("bidirectional T=1000,B=1,H=256,L=2", "lstm", 1000, 1, 64, 256, 2, True),
    ("GRU T=1000,B=1,H=256,L=2", "gru", 1000, 1, 64, 256, 2, False),
]


WARM_UP = 3  # untimed calls before each measurement


def median_seconds(fn, repeats: int, sync) -> float:
    for _ in range(WARM_UP):  # primitive caches, the allocator's pools, a workspace layout
        fn()
    sync()
    times = []
    for _ in range(repeats):
        start = time.perf_counter()
        fn()
        sync()
        times.append(time.perf_counter() - start)
    return statistics.median(times)


def per_step_loop(module: nn.RNNBase, x: torch.Tensor) -> dict[str, list[torch.Tensor]]:
    """The baseline people write: step through time in Python, keeping every gate."""
    gates: dict[str, list[torch.Tensor]] = {}
    layer_in = x
    dirs = 2 if module.bidirectional else 1
    size = module.hidden_size
    for layer in range(module.num_layers):
        outs = []
        for d in range(dirs):
            sfx = f"_l{layer}" + ("_reverse" if d else "")
            w_ih, w_hh = getattr(module, "weight_ih" + sfx), getattr(module, "weight_hh" + sfx)
            b = getattr(module, "bias_ih" + sfx) + getattr(module, "bias_hh" + sfx)
            h = x.new_zeros(x.shape[1], size)
            c = x.new_zeros(x.shape[1], size)
            seq = layer_in.flip(0) if d else layer_in
            hs = []
            for t in range(seq.shape[0]):
                if isinstance(module, nn.LSTM):
                    i, f, g, o = (seq[t] @ w_ih.t() + b + h @ w_hh.t()).chunk(4, -1)
                    i, f, g, o = i.sigmoid(), f.sigmoid(), g.tanh(), o.sigmoid()
                    c = f * c + i * g
                    h = o * c.tanh()
                    step = {"i": i, "f": f, "g": g, "o": o, "c": c, "h": h}
                else:  # GRU
                    xr, xz, xn = (seq[t] @ w_ih.t() + getattr(module, "bias_ih" + sfx)).chunk(3, -1)
                    hr, hz, hn = (h @ w_hh.t() + getattr(module, "bias_hh" + sfx)).chunk(3, -1)
                    r, z = (xr + hr).sigmoid(), (xz + hz).sigmoid()
                    n = (xn + r * hn).tanh()
                    h = (1 - z) * n + z * h
                    step = {"r": r, "z": z, "n": n, "h": h}
                for k, v in step.items():
                    gates.setdefault(k, []).append(v)
                hs.append(h)
            out = torch.stack(hs)
            outs.append(out.flip(0) if d else out)
        layer_in = torch.cat(outs, -1)
    return gates


def measure(case: tuple, device: torch.device, repeats: int, loop_steps: int, sync) -> tuple:
    """Seconds for (fused forward, record, per-step loop) on one case, in this run."""
    _, kind, steps, batch, inputs, hidden, layers, bidirectional = case
    cls = nn.LSTM if kind == "lstm" else nn.GRU
    module = cls(inputs, hidden, layers, bidirectional=bidirectional).to(device).eval()
    x = torch.randn(steps, batch, inputs, device=device)
    with torch.no_grad():
        fused = median_seconds(lambda: module(x), repeats, sync)
    recorded = median_seconds(lambda: record(module, x), repeats, sync)
    loop_steps = min(steps, loop_steps)  # long cases: time fewer steps, scale per step
    with torch.no_grad():
        loop = median_seconds(
            lambda: per_step_loop(module, x[:loop_steps]), max(3, repeats // 2), sync
        )
    return fused, recorded, loop * steps / loop_steps


def gate_products_seconds(module: nn.RNNBase, x: torch.Tensor, repeats: int, sync) -> float:
    """The floor of exact recomputation: only the matrix products that give every gate's
    pre-activation (W_ih x_t and W_hh h_{t-1} for all t, every layer), nothing else."""
    steps, batch = x.shape[:2]
    dirs = 2 if module.bidirectional else 1
    layer_inputs = [x.reshape(steps * batch, -1)] + [
        torch.randn(steps * batch, dirs * module.hidden_size, device=x.device)
        for _ in range(module.num_layers - 1)
    ]
    h_prev = torch.randn(steps * batch, module.hidden_size, device=x.device)

    def products() -> None:
        for layer in range(module.num_layers):
            for d in range(dirs):
                sfx = f"_l{layer}" + ("_reverse" if d else "")
                pre = layer_inputs[layer] @ getattr(module, "weight_ih" + sfx).t()
                pre.addmm_(h_prev, getattr(module, "weight_hh" + sfx).t())

    with torch.no_grad():
        return median_seconds(products, repeats, sync)


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--repeats", type=int, default=7, help="runs per measurement (median)")
    parser.add_argument("--device", default="cpu")
    parser.add_argument("--loop-steps", type=int, default=1000, help="steps timed for the loop")
    parser.add_argument(
        "--default-allocator",
        action="store_true",
        help="leave glibc's malloc thresholds alone (the app and CLI raise them: tune_allocator)",
    )
    args = parser.parse_args()
    tuned = False if args.default_allocator else tune_allocator()
    device = torch.device(args.device)
    sync = torch.cuda.synchronize if device.type == "cuda" else (lambda: None)
    torch.manual_seed(0)
    print(
        f"torch {torch.__version__}, device {device}, threads {torch.get_num_threads()}, "
        f"median of {args.repeats} runs"
    )
    print(
        "allocator: "
        + (
            "freed memory kept for reuse (lstm_viz.tune_allocator(), as the app and CLI run; "
            "--default-allocator to measure without)"
            if tuned
            else "glibc defaults"
        )
    )
    print(
        f"{'case':38s} {'fused ms':>9s} {'record ms':>10s} {'loop ms':>9s} "
        f"{'record/fused':>13s} {'loop/record':>12s}"
    )
    headline = None
    for case in CASES:
        fused, recorded, loop = measure(case, device, args.repeats, args.loop_steps, sync)
        print(
            f"{case[0]:38s} {fused * 1e3:9.2f} {recorded * 1e3:10.2f} {loop * 1e3:9.2f} "
            f"{recorded / fused:13.2f} {loop / recorded:12.2f}",
            flush=True,
        )
        if case[0] == "T=1000,B=1,H=256,L=2":
            headline = recorded / fused, loop / recorded
            fused_headline = fused
            _, kind, steps, batch, inputs, hidden, layers, bidirectional = case
            module = nn.LSTM(inputs, hidden, layers).to(device).eval()
            x = torch.randn(steps, batch, inputs, device=device)
            floor = gate_products_seconds(module, x, args.repeats, sync)
    print(
        f"gate matrix products alone / fused (T=1000,B=1,H=256,L=2): {floor / fused_headline:.2f}"
        "  (the floor any exact recomputation pays on top of the fused forward)"
    )
    print(f"per-step loop / record (T=1000,B=1,H=256,L=2): {headline[1]:.2f}")
    print(f"record/fused ratio (T=1000,B=1,H=256,L=2): {headline[0]:.2f}")


if __name__ == "__main__":
    main()
