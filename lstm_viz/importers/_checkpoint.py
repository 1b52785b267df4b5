"""An imported layer as a regular lstm-viz checkpoint folder, so the app's Explore page (and
``load_checkpoint``) open it like any trained model.

A SequenceModel always has an input layer and a head. What the file lacks is made exact:
- no embedding: a Linear input layer holding the identity (x @ I + 0 is x, bit for bit);
- an embedding: our Vocab reserves ids 0 (<pad>) and 1 (<unk>), so the table's rows are re-indexed
  under our vocabulary (the file's unknown token's row becomes row 1; zeros where it has none);
  without an uploaded vocabulary, the tokens are the ids themselves ("0", "1", ... as words);
- no head: a zero head with one output (Explore shows the recurrent layer, not the head);
- a head with one output per embedding row (and a one-way layer) is read as next-token scores:
  config.json's "head" says which output scores which of our tokens (lstm_viz.models.head), so
  Explore shows Predictions; any other head says why not;
- no biases (``bias=False``, Keras ``use_bias=False``, an ONNX node without B): zero biases.
"""

from __future__ import annotations

from pathlib import Path

import torch

from lstm_viz.models import head as head_info
from lstm_viz.models.checkpoints import save_checkpoint
from lstm_viz.models.sequence import ModelConfig, SequenceModel
from lstm_viz.models.vocab import PAD, UNKNOWN, Vocab

from ._build import Choice, _pick, recurrent_module
from ._core import ModelFileError, RecurrentLayer
from ._inputs import UNKNOWN_TOKENS


def to_sequence_model(
    layer: RecurrentLayer,
    choice: Choice,
    vocab: dict[str, int] | None = None,
    level: str = "char",
) -> tuple[SequenceModel, Vocab | None]:
    """The layer (+ chosen embedding and head) as our SequenceModel and its Vocab (None for a
    numeric model). ModelFileError where a SequenceModel cannot hold it (a projection, ...)."""
    if layer.proj_size:
        raise ModelFileError("an LSTM with a projection (proj_size) cannot open in Explore yet")
    if layer.reverse:
        raise ModelFileError(
            'a reverse-direction layer (ONNX direction="reverse") cannot open in Explore yet: '
            "record it on the Upload page or with python -m lstm_viz record"
        )
    rnn = recurrent_module(layer, choice.nonlinearity)
    cell = layer.kind
    if cell.startswith("rnn") and choice.nonlinearity:
        cell = f"rnn_{choice.nonlinearity}"
    head = _pick(layer.heads, choice.head, "head", layer) if choice.head else None
    embedding = (
        _pick(layer.embeddings, choice.embedding, "embedding", layer) if choice.embedding else None
    )
    ours: Vocab | None = None
    rows: torch.Tensor | None = None
    if embedding is not None:
        table = embedding.weight  # [V, E]
        if vocab is None:
            vocab = {str(i): i for i in range(table.shape[0])}
            level = "word"
        bad = {t: i for t, i in vocab.items() if not 0 <= i < table.shape[0]}
        if bad:
            raise ModelFileError(
                f"the vocabulary has ids beyond the embedding's {table.shape[0]} rows: "
                f"{list(bad.items())[:3]}"
            )
        unknown_id = next((vocab[t] for t in UNKNOWN_TOKENS if t in vocab), None)
        tokens = [
            t for t in sorted(vocab, key=vocab.get) if t not in (PAD, UNKNOWN, *UNKNOWN_TOKENS)
        ]
        ours = Vocab((PAD, UNKNOWN, *tokens), "word" if level == "word" else "char")
        rows = torch.zeros(len(ours), table.shape[1])
        if PAD in vocab:
            rows[0] = table[vocab[PAD]]
        if unknown_id is not None:
            rows[1] = table[unknown_id]
        for i, token in enumerate(tokens, start=2):
            rows[i] = table[vocab[token]]
    try:
        config = ModelConfig(
            cell=cell,
            vocab_size=len(ours) if ours else 0,
            input_size=0 if ours else layer.input_size,
            embedding_size=layer.input_size,
            hidden_size=layer.hidden_size,
            num_layers=layer.num_layers,
            bidirectional=layer.bidirectional,
            objective="step_class" if head is not None else "step_value",
            num_outputs=int(head.weight.shape[0]) if head is not None else 1,
        )
    except ValueError as error:
        raise ModelFileError(f"this layer cannot open in Explore: {error}") from None
    model = SequenceModel(config).eval()
    with torch.no_grad():
        if rows is not None:
            model.embedding.weight.copy_(rows)
        else:
            model.embedding.weight.copy_(torch.eye(layer.input_size))
            model.embedding.bias.zero_()
        model.rnn.load_state_dict(_with_zero_biases(rnn.state_dict(), model.rnn.state_dict()))
        if head is not None:
            model.head.weight.copy_(head.weight)
            if head.bias is not None:
                model.head.bias.copy_(head.bias)
            else:
                model.head.bias.zero_()
        else:
            model.head.weight.zero_()
            model.head.bias.zero_()
    return model, ours


def _with_zero_biases(
    weights: dict[str, torch.Tensor], target: dict[str, torch.Tensor]
) -> dict[str, torch.Tensor]:
    """A layer built without biases, for a module that has them: its biases are zeros (exact:
    adding zero changes no number). Any other missing parameter is left for load_state_dict to
    refuse."""
    filled = dict(weights)
    for key, value in target.items():
        if key not in filled and key.startswith("bias_"):
            filled[key] = torch.zeros_like(value)
    return filled


def save_as_checkpoint(
    directory: str | Path,
    layer: RecurrentLayer,
    choice: Choice,
    *,
    filename: str,
    vocab: dict[str, int] | None = None,
    level: str = "char",
) -> Path:
    """Write the layer as a checkpoint folder (model.safetensors, config.json, vocab.json)."""
    model, ours = to_sequence_model(layer, choice, vocab, level)
    info = {
        "task": {"name": "uploaded", "title": f"uploaded: {filename} · {layer.name}"},
        "source": {
            "file": filename,
            "layer": layer.name,
            "embedding": choice.embedding,
            "head": choice.head,
        },
    }
    info[head_info.KEY] = read_head(layer, choice, vocab, ours)
    return save_checkpoint(directory, model, ours, info)


def head_reading(layer: RecurrentLayer, choice: Choice) -> str | None:
    """None when the chosen head is read as next-token scores (an embedding, a one-way layer,
    and one head output per embedding row); else why not, in words (a sentence's end)."""
    if not choice.head:
        return "no linear head was attached to the layer on the Upload page"
    head = _pick(layer.heads, choice.head, "head", layer)
    if not choice.embedding:
        return "the model reads numbers (no embedding), so its outputs score no tokens"
    embedding = _pick(layer.embeddings, choice.embedding, "embedding", layer)
    if layer.bidirectional:
        return (
            "its layer is bidirectional: its output at a step has read the steps after it, so "
            "its head does not predict the next token"
        )
    outputs, rows = int(head.weight.shape[0]), int(embedding.weight.shape[0])
    if outputs != rows:
        return (
            f"its head {head.name} has {outputs} outputs and its embedding {rows} rows, so the "
            "outputs are not scores of the next token (a classifier or tagger, perhaps)"
        )
    return None


def read_head(
    layer: RecurrentLayer, choice: Choice, vocab: dict[str, int] | None, ours: Vocab | None
) -> dict:
    """config.json's "head" (lstm_viz.models.head): which head output (the file's token id)
    scores which token of ``ours``, or why the head is not read as next-token scores."""
    why = head_reading(layer, choice)
    if why is not None or ours is None:
        return {"scores": None, "why": why or "the model has no vocabulary"}
    rows = int(_pick(layer.embeddings, choice.embedding, "embedding", layer).weight.shape[0])
    given = vocab if vocab is not None else {str(i): i for i in range(rows)}
    file_ids: dict[int, int] = {}  # the file's token id (= head output) -> our token id
    if PAD in given:
        file_ids.setdefault(given[PAD], 0)
    unknown_id = next((given[t] for t in UNKNOWN_TOKENS if t in given), None)
    if unknown_id is not None:
        file_ids.setdefault(unknown_id, 1)
    for ours_id, token in enumerate(ours.tokens[2:], start=2):
        file_ids.setdefault(given[token], ours_id)
    per_output = [file_ids.get(output, -1) for output in range(rows)]
    return {
        "scores": head_info.NEXT_TOKEN,
        "ids": vocab is None,
        "outputs": head_info.encode_outputs(per_output),
    }
