"""The ONNX reference check: the uploaded graph itself runs in onnxruntime, from the recurrent
layer's input (or the embedding's token ids) to its nodes' outputs, which are added as graph
outputs; external data is never read. It compares the file's own computation with our reading of
it (the weights as we mapped them, recorded)."""

from __future__ import annotations

from typing import Any

import numpy as np
import torch

from ._core import RecurrentLayer, onnxruntime_telemetry_off

EXTERNAL = (
    "{}: {} is stored in a separate file (ONNX external data); only data inside the uploaded "
    "file is read: refused. Upload a model saved with its weights inside (onnx.save(..., "
    "save_as_external_data=False))"
)


def is_external(tensor: Any) -> bool:
    """Whether an ONNX TensorProto keeps its data outside the file (a path and offsets)."""
    from onnx import TensorProto

    return tensor.data_location == TensorProto.EXTERNAL or len(tensor.external_data) > 0


def _subgraph(
    model: Any, start: str, outputs: list[str], cuts: dict[str, Any] | None = None
) -> tuple[Any, list[str]]:
    """The uploaded model cut to the nodes between value ``start`` (its new input) and
    ``outputs`` (its new outputs): every node, initializer and attribute as in the file. Returns
    the model and the names of other graph inputs it still needs (fed zeros)."""
    from onnx import TensorProto, helper

    graph = model.graph
    producer = {out: node for node in graph.node for out in node.output if out}
    initializers = {t.name for t in graph.initializer}
    declared = {v.name: v for v in [*graph.input, *graph.value_info]}
    needed, seen, extra = [], set(), []
    stack = list(outputs)
    while stack:
        name = stack.pop()
        if name in seen or not name or name == start or name in initializers:
            continue
        if cuts and name in cuts:  # computed in the graph (e.g. zeros shaped like the batch)
            seen.add(name)
            continue
        seen.add(name)
        node = producer.get(name)
        if node is None:
            extra.append(name)
            continue
        if id(node) not in {id(n) for n in needed}:
            needed.append(node)
            stack.extend(node.input)
    order = [n for n in graph.node if any(n is m for m in needed)]
    used = {i for n in order for i in n.input}
    start_type = TensorProto.FLOAT
    if start in declared and declared[start].type.tensor_type.elem_type:
        start_type = declared[start].type.tensor_type.elem_type
    inputs = [helper.make_tensor_value_info(start, start_type, None)]
    for name, value in (cuts or {}).items():
        if name in seen:
            elem = TensorProto.INT32 if value.dtype.kind == "i" else TensorProto.FLOAT
            inputs.append(helper.make_tensor_value_info(name, elem, list(value.shape)))
    for name in extra:
        if name in declared:  # as the file declares it (its shape gives the zeros fed)
            inputs.append(declared[name])
        else:
            inputs.append(helper.make_tensor_value_info(name, TensorProto.FLOAT, None))
    cut = helper.make_model(
        helper.make_graph(
            order,
            "check",
            inputs,
            [helper.make_tensor_value_info(o, TensorProto.FLOAT, None) for o in outputs],
            [t for t in graph.initializer if t.name in used],
        ),
        opset_imports=list(model.opset_import),
        ir_version=model.ir_version,
    )
    return cut, extra


def check_with_onnxruntime(
    layer: RecurrentLayer,
    x: torch.Tensor,
    trace: Any,
    ids: torch.Tensor | None = None,
    initial_state: Any = None,
):
    """Run the uploaded graph in onnxruntime from the layer's input X (or, with ``ids`` [1, T]
    read through the file's embedding, from the Gather's indices) to the layer's nodes' outputs
    Y, Y_h, Y_c, and compare them with our recording (made from our reading of the weights).
    None when onnxruntime is not installed."""
    onnxruntime_telemetry_off()  # before onnxruntime loads (it reads the opt-out then)
    try:
        import onnx
        import onnxruntime
    except ImportError:
        return None
    from ._build import Check

    name = f"onnxruntime {onnxruntime.__version__} (the file's own graph)"
    try:
        return _run(onnx, onnxruntime, layer, x, trace, ids, initial_state, name, Check)
    except Exception as error:  # onnxruntime refuses the graph: no check, say why
        return Check(name, float("nan"), f"onnxruntime refused: {str(error)[:300]}", role="runtime")


def _run(onnx, onnxruntime, layer, x, trace, ids, initial_state, name, check_type):
    model = onnx.load_from_string(layer.reference["model"])
    wanted = layer.reference["nodes"]
    nodes = {n.name or n.output[0]: n for n in model.graph.node}
    stack = [nodes[n] for n in wanted]
    outputs, per_node = [], []
    for k, node in enumerate(stack):
        names = []
        for i in range(3 if node.op_type == "LSTM" else 2):
            while len(node.output) <= i:
                node.output.append("")
            if not node.output[i]:
                node.output[i] = f"lstm_viz_check_{k}_{i}"
            names.append(node.output[i])
        outputs += names
        per_node.append(names)
    start = stack[0].input[0]
    feed_ids = ids is not None and layer.embeddings and layer.reference.get("gather")
    if feed_ids:
        start = layer.reference["gather"]
    if feed_ids:
        outputs.append(stack[0].input[0])  # what the layer read: compared with our input
    # A node's sequence_lens / initial_h / initial_c computed in the graph (torch.onnx.export
    # builds zeros shaped like the batch from the model's input) are cut there and fed: every
    # step, and the recording's initial states (zeros unless given).
    initializers = {t.name for t in model.graph.initializer}
    graph_inputs = {i.name for i in model.graph.input}
    parts = initial_state if isinstance(initial_state, tuple | list) else (initial_state,)
    dirs, batch, steps = layer.directions, x.shape[0], x.shape[1]
    size = layer.proj_size or layer.hidden_size
    states = {}
    for k, node in enumerate(stack):
        for i, state, width in ((5, parts[0], size), (6, parts[-1], layer.hidden_size)):
            value_name = node.input[i] if len(node.input) > i else ""
            if not value_name or value_name in initializers:
                continue
            if state is not None and (i == 5 or len(parts) > 1):
                value = np.asarray(state[k * dirs : (k + 1) * dirs], np.float32)
                states[value_name] = np.broadcast_to(value, (dirs, batch, width)).copy()
            else:
                states[value_name] = np.zeros((dirs, batch, width), np.float32)
        if len(node.input) > 4 and node.input[4] and node.input[4] not in initializers:
            states[node.input[4]] = np.full((batch,), steps, np.int32)
    cuts = {n: v for n, v in states.items() if n not in graph_inputs}
    cut, extra = _subgraph(model, start, outputs, cuts)
    session = onnxruntime.InferenceSession(
        cut.SerializeToString(), providers=["CPUExecutionProvider"]
    )
    zeros = {}
    for input_ in session.get_inputs()[1:]:
        if input_.name in states:
            zeros[input_.name] = states[input_.name]
            continue
        shape = [d if isinstance(d, int) else 1 for d in input_.shape]
        zeros[input_.name] = np.zeros(shape, dtype=np.float32)
    extra = [n for n in extra if n not in states]
    if feed_ids:
        index = ids.numpy()
        tries = [index, index.T.copy()]
    else:
        tries = [x.transpose(0, 1).contiguous().numpy()]  # [T, B, I]
    results = None
    for fed in tries:
        try:
            got = session.run(outputs, {start: fed, **zeros})
        except Exception:
            continue
        if got[0].shape[0] == steps:  # the layer read T steps (time first)
            results = got
            break
    if results is None:
        raise ValueError("the graph would not run on this input's shape")
    named = dict(zip(outputs, results, strict=True))
    diffs = [np.abs(named[outputs[-1]] - x.transpose(0, 1).numpy()).max()] if feed_ids else []
    hidden = trace.hidden.numpy()  # [L, D, B, T, H]
    for k, names in enumerate(per_node):
        y = named[names[0]]  # [T, D, B, H]
        for d in range(layer.directions):
            diffs.append(np.abs(hidden[k, d].transpose(1, 0, 2) - y[:, d]).max())
            if len(names) == 3:
                reads_forward = not (d or layer.reverse)
                last = trace.num_steps - 1 if reads_forward else 0
                diffs.append(np.abs(trace.cell[k, d, :, last].numpy() - named[names[2]][d]).max())
    note = f"; the graph's other inputs {extra} fed zeros" if extra else ""
    what = "the token ids through the file's embedding" if feed_ids else "the layer's input"
    return check_type(
        name,
        float(max(diffs)),
        f"from {what}: the input the layer read, every layer's hidden state at every step, "
        f"the final cell states{note}",
        role="runtime",
    )
