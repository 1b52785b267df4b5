"""Recording: run a recurrent module and keep every gate and state of every step in a Trace.

    output, trace = record(module, inputs)   # see recorder.py

recorder.py   record(): patches each recurrent submodule's forward for one call
conv_lstm.py  ConvLSTM (2-D, stacked, Keras ConvLSTM2D layout) and its recording forward
peephole.py   PeepholeLSTM (nn.LSTM's layout plus peephole weights) and its recording forward
replay.py     gates recomputed from every h_t with one matrix product per layer
scan.py       the cell state's linear recurrence as a blocked scan
onednn.py     CPU float32 fast path: gates and cells read from oneDNN's training workspace
inputs.py     input and initial-state preparation (padding, packing, batch_first)
allocator.py  tune_allocator(): keep freed memory for reuse (glibc mallopt)
encoder_decoder.py  EncoderDecoderRecording: an encoder Trace, a decoder Trace, attention etc.
"""

from lstm_viz.recording.allocator import tune_allocator
from lstm_viz.recording.conv_lstm import ConvLSTM
from lstm_viz.recording.peephole import PeepholeLSTM
from lstm_viz.recording.recorder import RECORDABLE, record

__all__ = ["RECORDABLE", "ConvLSTM", "PeepholeLSTM", "record", "tune_allocator"]
