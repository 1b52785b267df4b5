"""Keras weight layouts -> PyTorch's: gate blocks reordered, and a Keras 2 CuDNNLSTM/CuDNNGRU's
arrays converted to the plain layers' layout as Keras 2's own loader did."""

from __future__ import annotations

import numpy as np
import torch

from ._core import ModelFileError, as_float32
from ._keras_h5 import KerasLayer

GRU_ORDER = (1, 0, 2)  # r, z, n from z, r, h


def from_cudnn(layer: KerasLayer, gates: int) -> None:
    """A Keras 2 CuDNNLSTM/CuDNNGRU's arrays -> the plain LSTM/GRU(reset_after=True) layout, as
    Keras 2's own loader converted them (tensorflow/python/keras/saving/hdf5_format.py,
    ``_convert_rnn_weights``: ``transform_kernels(kernel, transpose_input(from_cudnn=True))``,
    ``transform_kernels(recurrent_kernel, lambda k: k.T)``; LSTM biases summed, GRU biases
    reshaped to [2, -1])."""
    kernel, recurrent = layer.arrays.get("kernel"), layer.arrays.get("recurrent_kernel")
    bias = layer.arrays.get("bias")
    if kernel is None or recurrent is None or kernel.ndim != 2 or recurrent.ndim != 2:
        raise ModelFileError(f"{layer.name}: kernel and recurrent_kernel must be 2-D matrices")
    if kernel.shape[1] % gates or recurrent.shape[1] % gates:
        raise ModelFileError(f"{layer.name}: the kernels do not split into {gates} gates")
    layer.arrays["kernel"] = np.hstack(
        [k.T.reshape(k.shape, order="F") for k in np.hsplit(kernel, gates)]
    )
    layer.arrays["recurrent_kernel"] = np.hstack([k.T for k in np.hsplit(recurrent, gates)])
    if bias is not None:
        if bias.shape != (2 * recurrent.shape[1],):
            raise ModelFileError(f"{layer.name}: bias {list(bias.shape)} is not CuDNN's 2 biases")
        halves = np.split(bias, 2)
        layer.arrays["bias"] = halves[0] + halves[1] if gates == 4 else bias.reshape(2, -1)
    for role in ("kernel", "recurrent_kernel", "bias"):
        if role in layer.paths:
            layer.paths[role] += " (CuDNN layout, converted as Keras 2 did)"


def reorder(w: np.ndarray, order: tuple[int, ...], units: int) -> torch.Tensor:
    blocks = np.split(np.ascontiguousarray(w), len(order), axis=0)
    return as_float32(np.concatenate([blocks[i] for i in order]).copy(), "weights")
