"""lstm-viz: record and look inside recurrent networks, step by step.

    output, trace = lstm_viz.record(model, inputs)
    trace.forget_gate  # [layer, direction, batch, time, unit]

The public API is re-exported here; implementation lives in private modules.
This package never imports streamlit (a test asserts it): app/ calls lstm_viz, never the reverse.
"""

from lstm_viz.recording.allocator import tune_allocator
from lstm_viz.recording.conv_lstm import ConvLSTM
from lstm_viz.recording.peephole import PeepholeLSTM
from lstm_viz.recording.recorder import RECORDABLE, record
from lstm_viz.trace import DIRECTION_NAMES, RECORDED_NAMES, Trace

__version__ = "0.1.0"


def show(trace: Trace, *args, **kwargs):
    """The app's figures for a trace, for notebooks: see lstm_viz.figures.notebook.show."""
    from lstm_viz.figures.notebook import show as _show  # plotly/altair load on first use

    return _show(trace, *args, **kwargs)


__all__ = [
    "DIRECTION_NAMES",
    "RECORDABLE",
    "ConvLSTM",
    "RECORDED_NAMES",
    "PeepholeLSTM",
    "Trace",
    "record",
    "show",
    "tune_allocator",
]
