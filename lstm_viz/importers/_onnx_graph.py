"""One ONNX graph's look-ups (constant tensors, producers through shape-only operators, an
embedding before and a linear head after a recurrent node), and the grouping of stacked
recurrent nodes into one multi-layer module (what torch.onnx.export writes for nn.LSTM with
num_layers > 1). External data is refused, never read."""

from __future__ import annotations

from typing import Any

import torch

from ._core import Linear, ModelFileError, as_float32, check_elements
from ._onnx_check import EXTERNAL, is_external

SHAPE_OPS = {"Transpose", "Reshape", "Squeeze", "Unsqueeze", "Identity", "Flatten"}


class Graph:
    """Look-ups in one ONNX graph: constant tensors (initializers, Constant nodes), producers."""

    def __init__(self, graph: Any, filename: str) -> None:
        self.filename = filename
        self.tensors = {t.name: t for t in graph.initializer}
        self.producer = {}
        self.consumers: dict[str, list[Any]] = {}
        for node in graph.node:
            for out in node.output:
                self.producer[out] = node
            for name in node.input:
                self.consumers.setdefault(name, []).append(node)
            if node.op_type == "Constant":
                for attribute in node.attribute:
                    if attribute.name == "value" and attribute.HasField("t"):
                        self.tensors[node.output[0]] = attribute.t
        check_elements([tuple(t.dims) for t in self.tensors.values()], filename)
        self._refuse_external(graph)

    def _refuse_external(self, graph: Any) -> None:
        """Refuse the file if any tensor in it (initializer, sparse initializer, node attribute)
        is ONNX external data: its bytes would be read from a path on the server's disk."""
        tensors = list(graph.initializer)
        for sparse in graph.sparse_initializer:
            tensors += [sparse.values, sparse.indices]
        for node in graph.node:
            for attribute in node.attribute:
                tensors += [attribute.t, *attribute.tensors]
        for tensor in tensors:
            if is_external(tensor):
                raise ModelFileError(EXTERNAL.format(self.filename, f"tensor {tensor.name!r}"))

    def array(self, name: str, what: str) -> torch.Tensor:
        """A constant tensor by name, as float32; ModelFileError when it is not a constant."""
        from onnx import numpy_helper

        tensor = self.tensors.get(name)
        if tensor is None:
            raise ModelFileError(
                f"{self.filename}: {what} ({name!r}) is not a constant in the file"
            )
        if is_external(tensor):
            raise ModelFileError(EXTERNAL.format(self.filename, what))
        try:
            array = numpy_helper.to_array(tensor)
        except Exception as error:  # a raw_data length that does not match the dims, ...
            raise ModelFileError(f"{self.filename}: {what} cannot be read: {error}") from None
        return as_float32(array.copy(), what)

    def attributes(self, node: Any) -> dict[str, Any]:
        from onnx import helper

        return {a.name: helper.get_attribute_value(a) for a in node.attribute}

    def source(self, name: str) -> tuple[str, Any]:
        """Follow ``name`` back through shape-only operators: (the value name, its producer)."""
        for _ in range(20):
            node = self.producer.get(name)
            if node is None or node.op_type not in SHAPE_OPS:
                return name, node
            name = node.input[0]
        return name, None

    def embeddings(self, rnn_input: str, input_size: int) -> list[Linear]:
        """A Gather from a constant [V, input_size] table feeding the recurrent input."""
        _, node = self.source(rnn_input)
        found = []
        if node is not None and node.op_type == "Gather" and node.input[0] in self.tensors:
            dims = tuple(self.tensors[node.input[0]].dims)
            if len(dims) == 2 and dims[1] == input_size:
                found.append(Linear(node.input[0], self.array(node.input[0], "the embedding")))
        return found

    def heads(self, output_size: int) -> list[Linear]:
        """MatMul (+ Add) or Gemm nodes with a constant weight that reads output_size features."""
        found = []
        for node in self.producer.values():
            if node.op_type not in ("MatMul", "Gemm") or node.input[1] not in self.tensors:
                continue
            dims = tuple(self.tensors[node.input[1]].dims)
            if len(dims) != 2:
                continue
            attrs = self.attributes(node) if node.op_type == "Gemm" else {}
            weight_t = bool(attrs.get("transB", 0))  # Gemm transB=1: weight [O, N]
            if (dims[1] if weight_t else dims[0]) != output_size:
                continue
            weight = self.array(node.input[1], "a linear head")
            weight = weight if weight_t else weight.t().contiguous()  # [O, N]
            bias = None
            if node.op_type == "Gemm" and len(node.input) > 2 and node.input[2] in self.tensors:
                bias = self.array(node.input[2], "a linear head's bias")
            else:
                for after in self.consumers.get(node.output[0], []):
                    other = [i for i in after.input if i != node.output[0]]
                    if after.op_type == "Add" and other and other[0] in self.tensors:
                        bias = self.array(other[0], "a linear head's bias")
            if bias is not None and tuple(bias.shape) != (weight.shape[0],):
                bias = None
            found.append(Linear(node.input[1], weight, bias))
        return found


def node_stacks(nodes: list[Any], graph: Graph) -> list[list[Any]]:
    """Group nodes into node_stacks: a node whose input is (through shape-only operators) the output
    Y of a node of the same kind and settings continues that node's stack."""
    node_stacks: list[list[Any]] = []
    by_output = {}
    for node in nodes:
        name, producer = graph.source(node.input[0])
        previous = by_output.get(name)
        if previous is not None and _settings(previous[-1], graph) == _settings(node, graph):
            previous.append(node)
        else:
            previous = [node]
            node_stacks.append(previous)
        if node.output and node.output[0]:
            by_output[node.output[0]] = previous
    return node_stacks


def _settings(node: Any, graph: Graph) -> tuple:
    attrs = graph.attributes(node)
    keys = ("direction", "hidden_size", "activations", "linear_before_reset", "layout")
    return (node.op_type, *(str(attrs.get(k)) for k in keys))
