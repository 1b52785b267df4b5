"""lstm-viz: record and look inside recurrent networks, step by step.

    output, trace = lstm_viz.record(model, inputs)
    trace.forget_gate  # [layer, direction, batch, time, unit]

The public API is re-exported here; implementation lives in private modules.
This package never imports streamlit (a test asserts it): app/ calls lstm_viz, never the reverse.
"""

from lstm_viz.recording.allocator import tune_allocator
from lstm_viz.recording.peephole import PeepholeLSTM
from lstm_viz.recording.recorder import RECORDABLE, record
from lstm_viz.trace import DIRECTION_NAMES, RECORDED_NAMES, Trace

__version__ = "0.1.0"

__all__ = [
    "DIRECTION_NAMES",
    "RECORDABLE",
    "RECORDED_NAMES",
    "PeepholeLSTM",
    "Trace",
    "record",
    "tune_allocator",
]
