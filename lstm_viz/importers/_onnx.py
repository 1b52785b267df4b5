"""ONNX models: LSTM, GRU and RNN nodes, their weights converted to PyTorch's gate order.

The file is parsed as protobuf data (``onnx.load_from_string``); tensors stored outside the file
("external data") are refused, never read from disk. Stacked nodes (one per layer, as
``torch.onnx.export`` writes a multi-layer nn.LSTM) are grouped into one multi-layer module when
one node's output reaches the next node's input through shape-only operators.

Gate orders: ONNX LSTM W/R/B blocks are i, o, f, c; PyTorch's are i, f, g(=c), o. ONNX GRU blocks
are z, r, h; PyTorch's r, z, n. ONNX peepholes P are i, o, f; ours (PeepholeLSTM) i, f, o.
"""

from __future__ import annotations

from typing import Any

import torch

from ._core import (
    ImportedFile,
    ModelFileError,
    RecurrentLayer,
    suffix,
    unusable,
    validate,
)
from ._onnx_graph import Graph, node_stacks

LOOP = (
    "{} has no LSTM, GRU or RNN node: its recurrence is a {} subgraph, as converters write a "
    "recurrent layer they did not fuse (tf2onnx for some Keras/TensorFlow LSTMs, scripted "
    "loops). lstm-viz reads ONNX LSTM, GRU and RNN nodes: export the layer as one node "
    "(torch.onnx.export of an nn.LSTM/GRU writes them; tf2onnx fuses standard Keras LSTM/GRU "
    "layers), or upload the original weights (.pt, .safetensors, .keras, .h5)"
)

RECURRENT_OPS = {"LSTM": "lstm", "GRU": "gru", "RNN": "rnn"}
_LSTM_ORDER = (0, 2, 3, 1)  # PyTorch block k comes from ONNX block _LSTM_ORDER[k] (i, f, c, o)
_GRU_ORDER = (1, 0, 2)  # r, z, n from z, r, h


def read_onnx(data: bytes, filename: str) -> ImportedFile:
    try:
        import onnx
    except ImportError:
        raise ModelFileError(
            "reading ONNX files needs the onnx package: pip install onnx"
        ) from None
    try:
        model = onnx.load_from_string(data)
    except Exception as error:  # protobuf's DecodeError and friends
        raise ModelFileError(f"{filename} is not an ONNX model: {str(error)[:200]}") from None
    graph = model.graph
    if not graph.node and not graph.initializer:
        raise ModelFileError(f"{filename} is not an ONNX model: it has no graph")
    reader = Graph(graph, filename)
    nodes = [n for n in graph.node if n.op_type in RECURRENT_OPS and n.domain in ("", "ai.onnx")]
    if not nodes:
        ops = sorted({n.op_type for n in graph.node})
        loops = sorted({"Loop", "Scan"} & set(ops))
        if loops:
            raise ModelFileError(LOOP.format(filename, "/".join(loops)))
        raise ModelFileError(
            f"{filename} has no LSTM, GRU or RNN node (its operators: {', '.join(ops[:20])})"
        )
    stacks = node_stacks(nodes, reader)
    lengths = _fixed_steps(model)
    layers = []
    for stack in stacks:
        try:
            layer = _layer(stack, reader)
        except ModelFileError as error:  # this node alone is refused; the others stay usable
            first = stack[0]
            kind = RECURRENT_OPS[first.op_type].replace("rnn", "rnn_tanh")
            layers.append(unusable(first.name or first.output[0], kind, str(error)))
            continue
        layer.reference = {
            "format": "onnx",
            "model": data,  # the uploaded file itself: the check runs its own graph
            "nodes": [n.name or n.output[0] for n in stack],
        }
        layer.embeddings = reader.embeddings(stack[0].input[0], layer.input_size)
        _, gather = reader.source(stack[0].input[0])
        if layer.embeddings and gather is not None and gather.op_type == "Gather":
            layer.reference["gather"] = gather.input[1]  # the token ids the embedding reads
        layer.heads = reader.heads(layer.output_size)
        layer.steps = lengths.get(stack[0].input[0])
        layers.append(layer)
    opset = max((o.version for o in model.opset_import if o.domain in ("", "ai.onnx")), default=0)
    producer = f", written by {model.producer_name}" if model.producer_name else ""
    return ImportedFile(filename, "onnx", layers, [f"ONNX opset {opset}{producer}"])


def _fixed_steps(model: Any) -> dict[str, int]:
    """The length of time each rank-3 tensor of the graph has, where the graph fixes it: name ->
    T. A recurrent node's input X is [T, B, I] (layout 0, ONNX's LSTM spec), so this is the
    number of steps the file's model takes, e.g. every torch.onnx.export without dynamic_axes.
    ONNX shape inference (onnx.shape_inference: the spec's own propagation, no graph run);
    {} where it fails, so the input length is then free, as before."""
    import onnx

    try:
        graph = onnx.shape_inference.infer_shapes(model, strict_mode=False).graph
    except Exception:  # noqa: BLE001 - a graph inference cannot follow: nothing is fixed
        return {}
    lengths = {}
    for value in [*graph.input, *graph.value_info]:
        dims = value.type.tensor_type.shape.dim
        if len(dims) == 3 and dims[0].HasField("dim_value") and dims[0].dim_value > 0:
            lengths[value.name] = int(dims[0].dim_value)
    return lengths


def _layer(stack: list[Any], graph: Graph) -> RecurrentLayer:
    first = stack[0]
    op = first.op_type
    name = first.name or first.output[0]
    where = f"{graph.filename}: {op} node {name!r}"
    attrs = graph.attributes(first)
    direction = attrs.get("direction", b"forward")
    direction = direction.decode() if isinstance(direction, bytes) else str(direction)
    if direction not in ("forward", "bidirectional", "reverse"):
        raise ModelFileError(f"{where}: direction {direction!r} (forward/reverse/bidirectional)")
    if attrs.get("clip") is not None:
        raise ModelFileError(
            f"{where} clips its cell input at ±{attrs['clip']:g} (clip); PyTorch's cells, which "
            "lstm-viz records, never clip, so this node is not recorded. Export it without clip"
        )
    if attrs.get("input_forget", 0):
        raise ModelFileError(
            f"{where} couples its input and forget gates (input_forget=1); PyTorch's cells, "
            "which lstm-viz records, have no such coupling, so this node is not recorded. "
            "Export it with input_forget=0"
        )
    if int(attrs.get("layout", 0)) != 0:
        raise ModelFileError(f"{where}: layout={attrs['layout']} (batch first) is not read yet")
    activations = [a.decode() if isinstance(a, bytes) else a for a in attrs.get("activations", [])]
    kind = RECURRENT_OPS[op]
    defaults = {"lstm": ["Sigmoid", "Tanh", "Tanh"], "gru": ["Sigmoid", "Tanh"], "rnn": ["Tanh"]}
    per_direction = len(defaults[kind])
    if kind == "rnn":
        if activations and any(a not in ("Tanh", "Relu") for a in activations):
            raise ModelFileError(f"{where}: activations {activations} (only Tanh or Relu)")
        kind = "rnn_relu" if activations and activations[0] == "Relu" else "rnn_tanh"
        if len(set(activations)) > 1:
            raise ModelFileError(f"{where}: different activations per direction {activations}")
    elif (
        activations
        and activations[:per_direction] != defaults[kind]
        or (activations and len(set(map(tuple, _chunks(activations, per_direction)))) > 1)
    ):
        raise ModelFileError(
            f"{where}: activations {activations}; PyTorch's cells use {defaults[kind]}"
        )
    if kind == "gru" and not attrs.get("linear_before_reset", 0):
        raise ModelFileError(
            f"{where}: linear_before_reset=0 applies the reset gate before the recurrent matrix "
            "product; PyTorch's GRU (and Keras's reset_after=True) apply it after. Export the "
            "GRU with linear_before_reset=1"
        )
    dirs = 2 if direction == "bidirectional" else 1
    weights: dict[str, torch.Tensor] = {}
    sources: dict[str, str] = {}
    hidden = int(attrs.get("hidden_size", 0))
    input_size = None
    has_bias = None
    peephole = False
    initial: dict[str, list] = {}  # constant nonzero initial states, per stacked node
    given: list[str] = []  # initial states that are not constants: graph inputs or computed
    lengths: list[str] = []  # sequence_lens inputs
    for k, node in enumerate(stack):
        inputs = list(node.input) + [""] * (8 - len(node.input))
        w = graph.array(inputs[1], f"{op} W")  # [D, G*H, I]
        r = graph.array(inputs[2], f"{op} R")  # [D, G*H, H]
        gates = {"lstm": 4, "gru": 3}.get(RECURRENT_OPS[op], 1)
        if w.dim() != 3 or r.dim() != 3 or w.shape[0] != dirs or r.shape[0] != dirs:
            raise ModelFileError(
                f"{where}: W {list(w.shape)} / R {list(r.shape)} are not [D, ., .]"
            )
        if not hidden:
            hidden = r.shape[2]
        if w.shape[1] != gates * hidden or tuple(r.shape[1:]) != (gates * hidden, hidden):
            raise ModelFileError(
                f"{where}: W {list(w.shape)} / R {list(r.shape)} do not fit hidden_size {hidden}"
            )
        if k == 0:
            input_size = int(w.shape[2])
        b = graph.array(inputs[3], f"{op} B") if inputs[3] else None  # [D, 2*G*H]
        if has_bias is None:
            has_bias = b is not None
        elif has_bias != (b is not None):
            raise ModelFileError(f"{where}: some stacked nodes have biases, some do not")
        if b is not None and tuple(b.shape) != (dirs, 2 * gates * hidden):
            raise ModelFileError(
                f"{where}: B {list(b.shape)} is not [{dirs}, {2 * gates * hidden}]"
            )
        p = graph.array(inputs[7], f"{op} P") if op == "LSTM" and inputs[7] else None
        if p is not None and tuple(p.shape) != (dirs, 3 * hidden):
            raise ModelFileError(f"{where}: P {list(p.shape)} is not [{dirs}, {3 * hidden}]")
        if p is not None and bool((p != 0).any()):
            peephole = True
        for i, what in ((5, "initial_h"), (6, "initial_c")):
            if not inputs[i]:
                continue
            if inputs[i] in graph.tensors:
                state = graph.array(inputs[i], what)
                if bool((state != 0).any()):
                    initial.setdefault(what, []).append(state.tolist())
            else:  # a graph input, or made by other nodes (zeros shaped to the batch, often)
                maker = graph.producer.get(inputs[i])
                source = "a graph input"
                if maker is not None:
                    source = f"computed in the graph ({maker.op_type} node)"
                given.append(
                    f"{what} of node {node.name or node.output[0]!r} ({inputs[i]!r}, {source})"
                )
        if inputs[4]:
            lengths.append(repr(inputs[4]))
        order = _LSTM_ORDER if op == "LSTM" else _GRU_ORDER if op == "GRU" else (0,)
        conversion = {"LSTM": " (gates iofc → ifgo)", "GRU": " (gates zrh → rzn)"}.get(op, "")
        for d in range(dirs):
            s = suffix(k, d)
            node_name = node.name or node.output[0]
            weights["weight_ih" + s] = _reorder(w[d], order, hidden)
            weights["weight_hh" + s] = _reorder(r[d], order, hidden)
            sources["weight_ih" + s] = f"{node_name}: W[{d}]{conversion}"
            sources["weight_hh" + s] = f"{node_name}: R[{d}]{conversion}"
            if b is not None:
                half = gates * hidden
                weights["bias_ih" + s] = _reorder(b[d, :half], order, hidden)
                weights["bias_hh" + s] = _reorder(b[d, half:], order, hidden)
                sources["bias_ih" + s] = f"{node_name}: B[{d}][:{half}]{conversion}"
                sources["bias_hh" + s] = f"{node_name}: B[{d}][{half}:]{conversion}"
            if op == "LSTM":
                pd = p[d] if p is not None else torch.zeros(3 * hidden)
                pi, po, pf = pd.split(hidden)
                weights["weight_peephole" + s] = torch.stack([pi, pf, po])
                sources["weight_peephole" + s] = f"{node_name}: P[{d}] (iof → ifo)"
    if not peephole:
        weights = {k: v for k, v in weights.items() if not k.startswith("weight_peephole")}
    layer = RecurrentLayer(
        name=name,
        kind="peephole_lstm" if peephole else kind,
        input_size=int(input_size),
        hidden_size=hidden,
        num_layers=len(stack),
        bidirectional=dirs == 2,
        bias=bool(has_bias),
        weights=weights,
        sources=sources,
        reverse=direction == "reverse",
    )
    if direction == "reverse":
        layer.notes.append(
            'direction="reverse": the layer reads the input last step first; it is recorded '
            "on the reversed input and shown in the input's order (step t: the state after "
            "reading steps T-1 down to t)"
        )
    if initial:
        if len(initial.get("initial_h", [])) != len(stack) or (
            op == "LSTM" and len(initial.get("initial_c", [])) not in (0, len(stack))
        ):
            raise ModelFileError(f"{where}: constant initial states on only some stacked nodes")
        layer.initial_state = initial
        layer.notes.append("the file's constant initial_h/initial_c are used as initial states")
    if given:
        layer.notes.append(
            "initial states that are not constants in the file: " + "; ".join(given) + ". "
            "Zeros are used for them (from Python, record_imported(..., "
            "initial_state=h0 or (h0, c0)) takes others, each [layers × directions, hidden])"
        )
    if lengths:
        layer.notes.append(
            f"sequence_lens ({', '.join(lengths)}) is not used: every step of the input is read"
        )
    if len(stack) > 1:
        layer.notes.append(f"{len(stack)} stacked {op} nodes: " + ", ".join(n.name for n in stack))
    return validate(layer)


def _chunks(items: list, size: int) -> list[list]:
    return [items[i : i + size] for i in range(0, len(items), size)]


def _reorder(w: torch.Tensor, order: tuple[int, ...], hidden: int) -> torch.Tensor:
    blocks = w.split(hidden)
    return torch.cat([blocks[i] for i in order]).contiguous()


# ---- the check ----------------------------------------------------------------------------------
