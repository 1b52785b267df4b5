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
    onnxruntime runs in a child process with the upload reader's limits (run_isolated): a graph
    that crashes its native code ends the child, never the server. None when onnxruntime is
    not installed."""
    from ._build import Check
    from ._core import missing_runtime

    if missing_runtime("onnx"):
        return None
    from importlib.metadata import version

    name = f"onnxruntime {version('onnxruntime')} (the file's own graph)"
    feed_ids = bool(ids is not None and layer.embeddings and layer.reference.get("gather"))
    parts = initial_state if isinstance(initial_state, tuple | list) else (initial_state,)
    arrays = {"x": x.detach().cpu().numpy().astype(np.float32)}
    if feed_ids:
        arrays["ids"] = ids.detach().cpu().numpy()
    for k, state in enumerate(parts):
        if state is not None:
            arrays[f"state{k}"] = np.asarray(state.detach().cpu(), np.float32)
    header = {
        "nodes": list(layer.reference["nodes"]),
        "gather": layer.reference.get("gather"),
        "feed_ids": feed_ids,
        "parts": len(parts),
        "dirs": layer.directions,
        "size": layer.proj_size or layer.hidden_size,
        "hidden_size": layer.hidden_size,
    }
    try:
        got = _run_isolated(layer.reference["model"], header, arrays)
    except Exception as error:  # onnxruntime refused the graph or its child failed: say why
        return Check(name, float("nan"), f"onnxruntime refused: {str(error)[:300]}", role="runtime")
    named, outputs, per_node, extra = got
    steps = x.shape[1]
    diffs = [np.abs(named[outputs[-1]] - x.transpose(0, 1).numpy()).max()] if feed_ids else []
    hidden = trace.hidden.numpy()  # [L, D, B, T, H]
    for k, names in enumerate(per_node):
        y = named[names[0]]  # [T, D, B, H]
        if y.shape[0] != steps:
            return Check(
                name,
                float("nan"),
                "onnxruntime refused: the graph would not run on this input's shape",
                role="runtime",
            )
        for d in range(layer.directions):
            diffs.append(np.abs(hidden[k, d].transpose(1, 0, 2) - y[:, d]).max())
            if len(names) == 3:
                reads_forward = not (d or layer.reverse)
                last = trace.num_steps - 1 if reads_forward else 0
                diffs.append(np.abs(trace.cell[k, d, :, last].numpy() - named[names[2]][d]).max())
    note = f"; the graph's other inputs {extra} fed zeros" if extra else ""
    what = "the token ids through the file's embedding" if feed_ids else "the layer's input"
    return Check(
        name,
        float(max(diffs)),
        f"from {what}: the input the layer read, every layer's hidden state at every step, "
        f"the final cell states{note}",
        role="runtime",
    )


def _run_isolated(model: bytes, header: dict, arrays: dict[str, np.ndarray]):
    """(named outputs, output names, per-node output names, zero-fed inputs) of the graph, run
    by ``python -m lstm_viz.importers._onnx_check`` (_graph_outputs) in a limited child."""
    import io
    import json
    import struct
    import sys

    from ._isolated import read_reply, run_isolated

    buffer = io.BytesIO()
    np.savez(buffer, **arrays)
    raw = json.dumps(header).encode()
    message = struct.pack("<QQ", len(raw), len(model)) + raw + model + buffer.getvalue()
    command = [sys.executable, "-m", "lstm_viz.importers._onnx_check"]
    reply = run_isolated(command, message, "the ONNX graph", "running it in onnxruntime")
    meta, body = read_reply(reply, "the ONNX graph")
    with np.load(io.BytesIO(body), allow_pickle=False) as found:
        values = [found[f"o{k}"] for k in range(len(meta["outputs"]))]
    named = dict(zip(meta["outputs"], values, strict=True))
    return named, meta["outputs"], meta["per_node"], meta["extra"]


def _graph_outputs(model_bytes: bytes, header: dict, arrays: dict[str, np.ndarray]):
    """In the child: cut the graph to the layer's nodes, run it in onnxruntime; (meta, the
    outputs as an npz)."""
    import io

    onnxruntime_telemetry_off()  # before onnxruntime loads (it reads the opt-out then)
    import onnx
    import onnxruntime

    model = onnx.load_from_string(model_bytes)
    nodes = {n.name or n.output[0]: n for n in model.graph.node}
    stack = [nodes[n] for n in header["nodes"]]
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
    feed_ids = header["feed_ids"]
    if feed_ids:
        start = header["gather"]
        outputs.append(stack[0].input[0])  # what the layer read: compared with our input
    x = arrays["x"]  # [B, T, I]
    # A node's sequence_lens / initial_h / initial_c computed in the graph (torch.onnx.export
    # builds zeros shaped like the batch from the model's input) are cut there and fed: every
    # step, and the recording's initial states (zeros unless given).
    initializers = {t.name for t in model.graph.initializer}
    graph_inputs = {i.name for i in model.graph.input}
    parts = [arrays.get(f"state{k}") for k in range(header["parts"])]
    dirs, batch, steps = header["dirs"], x.shape[0], x.shape[1]
    states = {}
    for k, node in enumerate(stack):
        for i, state, width in (
            (5, parts[0], header["size"]),
            (6, parts[-1], header["hidden_size"]),
        ):
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
    tries = [arrays["ids"], arrays["ids"].T.copy()] if feed_ids else [x.transpose(1, 0, 2)]
    results = None
    for fed in tries:
        try:
            got = session.run(outputs, {start: np.ascontiguousarray(fed), **zeros})
        except Exception:
            continue
        if got[0].shape[0] == steps:  # the layer read T steps (time first)
            results = got
            break
    if results is None:
        raise ValueError("the graph would not run on this input's shape")
    buffer = io.BytesIO()
    np.savez(buffer, **{f"o{k}": np.asarray(v) for k, v in enumerate(results)})
    meta = {"outputs": outputs, "per_node": per_node, "extra": extra}
    return meta, buffer.getvalue()


def _main() -> int:
    import io
    import json
    import struct
    import sys

    from ._isolated import answer

    raw = sys.stdin.buffer.read()
    header_size, model_size = struct.unpack("<QQ", raw[:16])
    header = json.loads(raw[16 : 16 + header_size])
    model = raw[16 + header_size : 16 + header_size + model_size]
    with np.load(io.BytesIO(raw[16 + header_size + model_size :]), allow_pickle=False) as found:
        arrays = {k: found[k] for k in found.files}
    return answer(lambda: _graph_outputs(model, header, arrays))


if __name__ == "__main__":
    raise SystemExit(_main())
