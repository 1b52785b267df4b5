"""How much does recording cost? `python benchmarks/record_speed.py [--repeats N] [--device D]`

For each case, in the same run and on the same input, N interleaved rounds (more when they
would take under MIN_SECONDS) of:
- fused:   the module's plain forward under torch.no_grad() (the fused kernel: oneDNN / cuDNN;
           for the padded case the module's own packed forward),
- record:  lstm_viz.record() of every gate and state of every layer,
and, for the headline case only (it is slow), the usual alternative:
- loop:    a per-step Python loop over nn.LSTMCell-style equations that keeps every gate.
Each round times fused then record back to back, so a busy machine slows both alike; the
record/fused ratio is the median of the rounds' ratios, the times are medians.
Prints one `record/fused ratio (CASE): X` line per case; the last line is the headline's.
`--cases bidirectional,B=16` keeps the cases whose name contains one of the words.
On CPU the other recurrent kinds (attention decoder, LSTM autoencoder, ConvLSTM: shipped models,
benchmarks/kinds_speed.py) get a line each too (`--cases` filters them alike).
"""

from __future__ import annotations

import argparse
import statistics
import time

import torch
from torch import nn
from torch.nn.utils.rnn import pack_padded_sequence

from lstm_viz import record, tune_allocator

try:
    from kinds_speed import kind_cases
except ImportError:  # run as a module from the repository root
    from benchmarks.kinds_speed import kind_cases

HEADLINE = "T=1000,B=1,H=256,L=2"
CASES = [  # name, kind, steps, batch, input, hidden, layers, bidirectional
    (HEADLINE, "lstm", 1000, 1, 64, 256, 2, False),
    ("T=100,B=16,H=256,L=2", "lstm", 100, 16, 64, 256, 2, False),
    ("bidirectional T=1000,B=1,H=256,L=2", "lstm", 1000, 1, 64, 256, 2, True),
    ("padded T=100,B=16,H=256,L=2", "lstm", 100, 16, 64, 256, 2, False),
    ("float64 T=1000,B=1,H=256,L=2", "lstm", 1000, 1, 64, 256, 2, False),
    ("T=10000,B=1,H=256,L=2", "lstm", 10000, 1, 64, 256, 2, False),
    ("T=1000,B=1,H=1024,L=1", "lstm", 1000, 1, 64, 1024, 1, False),
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


MIN_SECONDS = 2.0  # each case's interleaved rounds last at least this long (more rounds if fast)


def paired(first, second, repeats: int, sync) -> tuple[float, float, float]:
    """Interleaved rounds of ``first`` then ``second``: (median seconds of each, median of the
    rounds' second/first ratios). At least ``repeats`` rounds, and as many more as fill
    MIN_SECONDS: a fast case (T=100, B=16: ~35 ms a round) would otherwise be measured over a
    quarter of a second, and one burst of another process's memory traffic moves its median."""
    for _ in range(WARM_UP):  # primitive caches, the allocator's pools, a workspace layout
        first()
        second()
    sync()
    a, b = [], []
    began = time.perf_counter()
    while len(a) < repeats or time.perf_counter() - began < MIN_SECONDS:
        for fn, times in ((first, a), (second, b)):
            start = time.perf_counter()
            fn()
            sync()
            times.append(time.perf_counter() - start)
    ratio = statistics.median(y / x for x, y in zip(a, b, strict=True))
    return statistics.median(a), statistics.median(b), ratio


def padded_lengths(steps: int, batch: int) -> torch.Tensor:
    """Lengths from ``steps`` down to about a third of it, the longest first (a sorted batch)."""
    return torch.linspace(steps, max(1, steps // 3), batch).round().long()


def measure(case: tuple, device: torch.device, repeats: int, loop_steps: int, sync) -> tuple:
    """Seconds for (fused forward, record, per-step loop or None) on one case, in this run, and
    the median record/fused ratio of interleaved rounds."""
    name, kind, steps, batch, inputs, hidden, layers, bidirectional = case
    dtype = torch.float64 if name.startswith("float64") else torch.float32
    cls = nn.LSTM if kind == "lstm" else nn.GRU
    module = cls(inputs, hidden, layers, bidirectional=bidirectional).to(device, dtype).eval()
    x = torch.randn(steps, batch, inputs, device=device, dtype=dtype)
    if name.startswith("padded"):
        lengths = padded_lengths(steps, batch)
        packed = pack_padded_sequence(x, lengths)

        def fused_call():
            with torch.no_grad():
                module(packed)

        def record_call():
            record(module, x, lengths=lengths)

    else:

        def fused_call():
            with torch.no_grad():
                module(x)

        def record_call():
            record(module, x)

    fused, recorded, ratio = paired(fused_call, record_call, repeats, sync)
    loop = None
    if name == HEADLINE and loop_steps > 0:
        loop_steps = min(steps, loop_steps)  # long cases: time fewer steps, scale per step
        with torch.no_grad():
            loop = median_seconds(
                lambda: per_step_loop(module, x[:loop_steps]), max(3, repeats // 2), sync
            )
        loop = loop * steps / loop_steps
    return fused, recorded, loop, ratio


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
    parser.add_argument("--repeats", type=int, default=7, help="interleaved rounds (median)")
    parser.add_argument("--device", default="cpu")
    parser.add_argument(
        "--loop-steps", type=int, default=1000, help="steps timed for the loop (0: no loop)"
    )
    parser.add_argument("--threads", type=int, default=0, help="torch threads (0: torch's default)")
    parser.add_argument("--cases", default="", help="comma-separated words: keep matching cases")
    parser.add_argument(
        "--default-allocator",
        action="store_true",
        help="leave glibc's malloc thresholds alone (the app and CLI raise them: tune_allocator)",
    )
    args = parser.parse_args()
    tuned = False if args.default_allocator else tune_allocator()
    if args.threads:  # on a shared machine one thread each is steadier than two that wait
        torch.set_num_threads(args.threads)
    device = torch.device(args.device)
    sync = torch.cuda.synchronize if device.type == "cuda" else (lambda: None)
    if device.type == "cuda":  # exact float32 products on both sides (no TF32)
        torch.backends.cuda.matmul.allow_tf32 = False
        torch.backends.cudnn.allow_tf32 = False
    torch.manual_seed(0)
    print(
        f"torch {torch.__version__}, device {device}, threads {torch.get_num_threads()}, "
        f"median of at least {args.repeats} interleaved rounds ({MIN_SECONDS:g} s or more a case)"
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
    words = [w for w in args.cases.split(",") if w]
    cases = [c for c in CASES if c[0] == HEADLINE or not words or any(w in c[0] for w in words)]
    print(
        f"{'case':38s} {'fused ms':>9s} {'record ms':>10s} {'loop ms':>9s} "
        f"{'record/fused':>13s} {'loop/record':>12s}"
    )
    ratios = {}
    headline_loop = None
    for case in cases:
        fused, recorded, loop, ratio = measure(case, device, args.repeats, args.loop_steps, sync)
        ratios[case[0]] = ratio
        loop_ms = "-" if loop is None else f"{loop * 1e3:9.2f}"
        loop_ratio = "-" if loop is None else f"{loop / recorded:12.2f}"
        print(
            f"{case[0]:38s} {fused * 1e3:9.2f} {recorded * 1e3:10.2f} {loop_ms:>9s} "
            f"{ratio:13.2f} {loop_ratio:>12s}",
            flush=True,
        )
        if case[0] == HEADLINE:
            headline_loop = None if loop is None else loop / recorded
            _, kind, steps, batch, inputs, hidden, layers, bidirectional = case
            module = nn.LSTM(inputs, hidden, layers).to(device).eval()
            x = torch.randn(steps, batch, inputs, device=device)
            floor = gate_products_seconds(module, x, args.repeats, sync)
            fused_headline = fused
    if device.type == "cpu":
        for name, fused_call, record_call in kind_cases():
            if words and not any(w in name for w in words):
                continue
            fused, recorded, ratio = paired(fused_call, record_call, args.repeats, sync)
            ratios[name] = ratio
            print(
                f"{name:38s} {fused * 1e3:9.2f} {recorded * 1e3:10.2f} {'-':>9s} "
                f"{ratio:13.2f} {'-':>12s}",
                flush=True,
            )
    print(
        f"gate matrix products alone / fused ({HEADLINE}): {floor / fused_headline:.2f}"
        "  (the floor any exact recomputation pays on top of the fused forward)"
    )
    if headline_loop is not None:
        print(f"per-step loop / record ({HEADLINE}): {headline_loop:.2f}")
    for name, ratio in ratios.items():
        if name != HEADLINE:
            print(f"record/fused ratio ({name}): {ratio:.2f}")
    print(f"record/fused ratio ({HEADLINE}): {ratios[HEADLINE]:.2f}")


if __name__ == "__main__":
    main()
