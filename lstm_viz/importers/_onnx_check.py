"""The ONNX reference check: the file's recurrent nodes (weights and attributes, nothing else)
run in onnxruntime on the recording's input; external data is never read."""

from __future__ import annotations

from typing import TYPE_CHECKING, Any

import torch

from ._core import (
    ModelFileError,
    RecurrentLayer,
    onnxruntime_telemetry_off,
)

if TYPE_CHECKING:
    from ._onnx import _Graph

EXTERNAL = (
    "{}: {} is stored in a separate file (ONNX external data); only data inside the uploaded "
    "file is read: refused. Upload a model saved with its weights inside (onnx.save(..., "
    "save_as_external_data=False))"
)


_NODE_ATTRIBUTES = {
    "activation_alpha",
    "activation_beta",
    "activations",
    "clip",
    "direction",
    "hidden_size",
    "input_forget",
    "linear_before_reset",
}


def is_external(tensor: Any) -> bool:
    """Whether an ONNX TensorProto keeps its data outside the file (a path and offsets)."""
    from onnx import TensorProto

    return tensor.data_location == TensorProto.EXTERNAL or len(tensor.external_data) > 0


def check_model(stack: list[Any], graph: _Graph, input_size: int) -> bytes:
    """A new ONNX model holding only the stack's nodes (their weights and attributes; layout 0),
    chained as the recorded module chains its layers: X [T, B, I] -> Y0, Yh0(, Yc0) -> ... .
    Plain bytes, so a layer stays plain data; onnxruntime runs it for the check."""
    from onnx import TensorProto, helper

    new_nodes, initializers, outputs = [], [], []
    current = "X"
    for k, node in enumerate(stack):
        inputs = []
        for i, name in enumerate(list(node.input)[:4] + [""] * (4 - min(len(node.input), 4))):
            if i == 0:
                inputs.append(current)
            elif name:
                tensor = _inside_copy(graph, name)
                tensor.name = f"w{k}_{i}"
                initializers.append(tensor)
                inputs.append(tensor.name)
            else:
                inputs.append("")
        if len(node.input) > 7 and node.input[7]:
            tensor = _inside_copy(graph, node.input[7])
            tensor.name = f"w{k}_7"
            initializers.append(tensor)
            inputs += ["", "", "", tensor.name]
        while inputs and inputs[-1] == "":
            inputs.pop()
        y = f"Y{k}"
        node_outputs = [y, f"Yh{k}"] + ([f"Yc{k}"] if node.op_type == "LSTM" else [])
        keep = {a: v for a, v in graph.attributes(node).items() if a in _NODE_ATTRIBUTES}
        new_nodes.append(helper.make_node(node.op_type, inputs, node_outputs, **keep))
        outputs += node_outputs
        # Y [T, D, B, H] -> the next layer's input [T, B, D*H]
        new_nodes.append(helper.make_node("Transpose", [y], [f"T{k}"], perm=[0, 2, 1, 3]))
        shape = helper.make_tensor(f"S{k}", TensorProto.INT64, [3], [0, 0, -1])
        initializers.append(shape)
        current = f"X{k + 1}"
        new_nodes.append(helper.make_node("Reshape", [f"T{k}", shape.name], [current]))
    model = helper.make_model(
        helper.make_graph(
            new_nodes,
            "check",
            [helper.make_tensor_value_info("X", TensorProto.FLOAT, [None, None, input_size])],
            [helper.make_tensor_value_info(o, TensorProto.FLOAT, None) for o in outputs],
            initializers,
        ),
        opset_imports=[helper.make_opsetid("", 14)],
        ir_version=8,  # what every onnxruntime of the last years reads
    )
    return model.SerializeToString()


def _inside_copy(graph: _Graph, name: str) -> Any:
    """A copy of a constant tensor for the check model; never one stored outside the file."""
    import onnx

    tensor = onnx.TensorProto()
    tensor.CopyFrom(graph.tensors[name])
    if is_external(tensor):
        raise ModelFileError(EXTERNAL.format(graph.filename, f"tensor {name!r}"))
    return tensor


def check_with_onnxruntime(layer: RecurrentLayer, x: torch.Tensor, trace: Any):
    """Run the file's own nodes (their weights and attributes, nothing else from the file) in
    onnxruntime on the same input, and compare every layer's hidden state at every step (and the
    LSTM's final cell). None when onnxruntime is not installed."""
    onnxruntime_telemetry_off()  # before onnxruntime loads (it reads the opt-out then)
    try:
        import onnxruntime
    except ImportError:
        return None
    from ._build import Check

    name = f"onnxruntime {onnxruntime.__version__}"
    try:
        session = onnxruntime.InferenceSession(
            layer.reference["model"], providers=["CPUExecutionProvider"]
        )
        outputs = [o.name for o in session.get_outputs()]
        results = session.run(outputs, {"X": x.transpose(0, 1).contiguous().numpy()})
    except Exception as error:  # onnxruntime refuses the node: no check, say why
        return Check(name, float("nan"), f"failed: {str(error)[:300]}")
    named = dict(zip(outputs, results, strict=True))
    diffs = []
    for k in range(layer.num_layers):
        y = torch.from_numpy(named[f"Y{k}"])  # [T, D, B, H]
        for d in range(layer.directions):
            ours = trace.hidden[k, d].transpose(0, 1)  # [T, B, H]
            diffs.append((ours - y[:, d]).abs().max())
            if f"Yc{k}" in named:
                last = 0 if d else trace.num_steps - 1
                c = torch.from_numpy(named[f"Yc{k}"])[d]  # [B, H]
                diffs.append((trace.cell[k, d, :, last] - c).abs().max())
    return Check(
        name,
        float(torch.stack(diffs).max()),
        "every layer's hidden state at every step, the final cell states",
    )
