"""Is Explore responsive for a ConvLSTM? 20 steps x 8 channels x 24 x 24, on the server side.

    python benchmarks/convlstm_speed.py [--repeats N]

Times what Explore's ConvLSTM view computes on a change (medians of N, warm): recording every
gate map (20 frames through a 1-layer, 8-channel ConvLSTM frame model), building the frames
strip, the gate-maps figure at one step, and the gate-maps figure with all 20 steps as an
animation, and serialising that figure (what Streamlit sends). Baselines in the same run, so the
ratios survive a loaded machine: the model's plain forward (no recording), and the Explore
heatmap figure of an LSTM (2 layers x 128 units) reading the default sentence
(lstm_viz.figures.heatmap, one quantity), the view every other model opens on.
"""

from __future__ import annotations

import argparse
import statistics
import sys
import time
from pathlib import Path

ROOT = Path(__file__).resolve().parents[1]
sys.path.insert(0, str(ROOT))

import torch  # noqa: E402

from lstm_viz import record  # noqa: E402
from lstm_viz.figures.frames import frames_figure, gate_maps_figure  # noqa: E402
from lstm_viz.figures.heatmap import heatmap  # noqa: E402
from lstm_viz.models.frames import FrameModel, FrameModelConfig  # noqa: E402
from lstm_viz.tasks import moving_shapes  # noqa: E402


def timed(fn, repeats: int) -> float:
    fn()  # warm
    times = []
    for _ in range(repeats):
        start = time.perf_counter()
        fn()
        times.append(time.perf_counter() - start)
    return statistics.median(times)


def main() -> None:
    parser = argparse.ArgumentParser()
    parser.add_argument("--repeats", type=int, default=7)
    args = parser.parse_args()
    torch.set_num_threads(1)
    torch.manual_seed(0)
    model = FrameModel(FrameModelConfig(hidden_channels=8, kernel_size=5)).eval()
    frames = torch.from_numpy(moving_shapes(1, steps=20, size=24, seed=0))
    (prediction, _), trace = record(model, frames)
    lstm = torch.nn.LSTM(16, 128, num_layers=2, batch_first=True)
    _, text_trace = record(lstm, torch.randn(1, 23, 16))

    def forward():
        with torch.no_grad():
            model(frames)

    results = {
        "plain forward (baseline)": timed(forward, args.repeats),
        "LSTM heatmap figure, 23 steps x 128 units (baseline)": timed(
            lambda: heatmap(text_trace, "forget_gate"), args.repeats
        ),
        "record every gate map": timed(lambda: record(model, frames), args.repeats),
        "frames strip figure": timed(
            lambda: frames_figure(frames[0].numpy(), prediction[0].numpy(), 3), args.repeats
        ),
        "gate maps figure, one step": timed(lambda: gate_maps_figure(trace, 0, 3), args.repeats),
        "gate maps figure, 20-step animation": timed(
            lambda: gate_maps_figure(trace, 0, 3, animate=True), args.repeats
        ),
        "gate maps animation to JSON": timed(
            lambda: gate_maps_figure(trace, 0, 3, animate=True).to_json(), args.repeats
        ),
    }
    forward_s = results["plain forward (baseline)"]
    heat_s = results["LSTM heatmap figure, 23 steps x 128 units (baseline)"]
    size = len(gate_maps_figure(trace, 0, 3, animate=True).to_json()) / 1e6
    print("convlstm explore: 20 steps x 8 channels x 24 x 24, medians of", args.repeats)
    for name, seconds in results.items():
        print(
            f"  {name:55s} {seconds * 1000:8.1f} ms  {seconds / forward_s:6.1f}x forward  "
            f"{seconds / heat_s:6.1f}x LSTM heatmap"
        )
    change = sum(
        results[k]
        for k in ("record every gate map", "frames strip figure", "gate maps figure, one step")
    )
    print(f"  animated figure spec: {size:.2f} MB (sent only when the Animate toggle is on)")
    print(f"convlstm explore server seconds per change (record + strip + maps): {change:.3f}")


if __name__ == "__main__":
    main()
