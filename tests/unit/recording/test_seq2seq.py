"""record_seq2seq: every encoder and decoder state equals a plain PyTorch implementation written
here from the equations (not by calling the model), attention rows sum to 1, padding is masked."""

from __future__ import annotations

import pytest
import torch

from lstm_viz.models.seq2seq import Seq2Seq, Seq2SeqConfig
from lstm_viz.recording.encoder_decoder import EncoderDecoderRecording
from lstm_viz.recording.seq2seq import record_seq2seq

SOURCE = ("<pad>", "<unk>", *"abcde ")
TARGET = ("<pad>", "<s>", "</s>", *"xyz")
TEXTS = ["abc de", "ca", "eeab"]  # different lengths: padding in the batch


def tiny(attention: str, cell: str = "lstm", bidirectional: bool = True, seed: int | None = None):
    """A random model whose outputs vary (sharpened weights): with the seeds below, the third
    text stops at once (</s>) while the others run to the limit, so both ends are tested."""
    seed = {"additive": 4, "dot": 4, "general": 0}[attention] if seed is None else seed
    torch.manual_seed(seed)
    config = Seq2SeqConfig(
        SOURCE,
        TARGET,
        embedding_size=5,
        hidden_size=4,
        encoder_cell=cell,
        bidirectional=bidirectional,
        attention=attention,
        max_target_length=6,
    )
    model = Seq2Seq(config).eval()
    with torch.no_grad():
        model.out.weight.mul_(4.0)
        model.cell.weight_hh.mul_(3.0)
    return model


# ---- the reference: equations on the raw weights, one sequence at a time ---------------------


def lstm_step(x, h, c, w_ih, w_hh, b_ih, b_hh):
    gates = w_ih @ x + b_ih + w_hh @ h + b_hh
    i, f, g, o = gates.chunk(4)
    i, f, g, o = torch.sigmoid(i), torch.sigmoid(f), torch.tanh(g), torch.sigmoid(o)
    c = f * c + i * g
    return (
        {"input_gate": i, "forget_gate": f, "candidate": g, "output_gate": o},
        c,
        o * torch.tanh(c),
    )


def gru_step(x, h, w_ih, w_hh, b_ih, b_hh):
    xr, xz, xn = (w_ih @ x + b_ih).chunk(3)
    hr, hz, hn = (w_hh @ h + b_hh).chunk(3)
    r, z = torch.sigmoid(xr + hr), torch.sigmoid(xz + hz)
    n = torch.tanh(xn + r * hn)
    return (1 - z) * n + z * h


def reference(model: Seq2Seq, text: str, steps: int):
    """(encoder h per direction [S, H], decoder records per step, attention rows, tokens)."""
    w = {k: v.detach() for k, v in model.state_dict().items()}
    cfg = model.config
    ids = [SOURCE.index(ch) for ch in text]
    xs = [w["encoder.embedding.weight"][i] for i in ids]
    outs, finals = [], []
    for d, suffix in enumerate(["", "_reverse"][: cfg.directions]):
        p = [
            w[f"encoder.rnn.{n}_l0{suffix}"]
            for n in ("weight_ih", "weight_hh", "bias_ih", "bias_hh")
        ]
        h = torch.zeros(cfg.hidden_size)
        c = torch.zeros(cfg.hidden_size)
        hs = [None] * len(xs)
        order = range(len(xs)) if d == 0 else reversed(range(len(xs)))
        for t in order:
            if cfg.encoder_cell == "lstm":
                _, c, h = lstm_step(xs[t], h, c, *p)
            else:
                h = gru_step(xs[t], h, *p)
            hs[t] = h
        outs.append(torch.stack(hs))
        finals.append(h)
    enc = torch.cat(outs, dim=-1)  # [S, E]
    h = torch.tanh(w["bridge.weight"] @ torch.cat(finals) + w["bridge.bias"])
    c = torch.zeros_like(h)
    cell = [w[f"cell.{n}"] for n in ("weight_ih", "weight_hh", "bias_ih", "bias_hh")]

    def attend(q):
        if cfg.attention == "additive":
            keys = enc @ w["attention.key.weight"].T + w["attention.key.bias"]
            scores = torch.tanh(w["attention.query.weight"] @ q + keys) @ w["attention.v.weight"][0]
        elif cfg.attention == "general":
            scores = (enc @ w["attention.key.weight"].T) @ q
        else:
            scores = enc @ q
        a = torch.exp(scores - scores.max())
        a = a / a.sum()
        return a, a @ enc

    token, records, rows, tokens = 1, [], [], []
    for _ in range(steps):
        emb = w["embedding.weight"][token]
        if cfg.attention == "additive":
            a, ctx = attend(h)
            gates, c, h = lstm_step(torch.cat([emb, ctx]), h, c, *cell)
        else:
            gates, c, h = lstm_step(emb, h, c, *cell)
            a, ctx = attend(h)
        records.append({**gates, "cell": c, "hidden": h})
        rows.append(a)
        logits = w["out.weight"] @ torch.cat([h, ctx]) + w["out.bias"]
        token = int(logits[2:].argmax()) + 2
        tokens.append(TARGET[token])
        if token == 2:
            break
    return enc, records, rows, tokens


@pytest.mark.parametrize(
    "attention,cell,bidirectional",
    [("additive", "lstm", True), ("dot", "gru", True), ("general", "lstm", False)],
)
def test_recording_equals_a_plain_implementation_step_by_step(attention, cell, bidirectional):
    model = tiny(attention, cell, bidirectional)
    rec = record_seq2seq(model, TEXTS)
    assert isinstance(rec, EncoderDecoderRecording)
    assert rec.decoder.lengths.tolist() == [6, 6, 1]  # ends early and late both covered
    for b, text in enumerate(TEXTS):
        enc, records, rows, tokens = reference(model, text, model.config.max_target_length)
        assert rec.generated[b] == tokens
        assert int(rec.decoder.lengths[b]) == len(tokens)
        assert rec.encoder.tokens[b] == list(text)
        hidden = rec.encoder.hidden[0, :, b, : len(text)]  # [directions, S, H]
        torch.testing.assert_close(torch.cat(list(hidden), dim=-1), enc, atol=2e-6, rtol=1e-5)
        for t, expected in enumerate(records):
            for name, value in expected.items():
                torch.testing.assert_close(
                    rec.decoder[name][0, 0, b, t], value, atol=2e-6, rtol=1e-5, msg=name
                )
            torch.testing.assert_close(
                rec["attention"][b, t, : len(text)], rows[t], atol=1e-6, rtol=1e-5
            )
        # past the end: NaN in the decoder trace, zero attention rows
        assert torch.isnan(rec.decoder.hidden[0, 0, b, len(tokens) :]).all()
        assert (rec["attention"][b, len(tokens) :] == 0).all()


def test_attention_rows_sum_to_one_and_padding_gets_exactly_zero():
    model = tiny("additive")
    rec = record_seq2seq(model, TEXTS)
    attention = rec["attention"]
    assert attention.shape[:2] == (3, rec.decoder.num_steps)
    assert attention.shape[2] == max(len(t) for t in TEXTS)
    for b, text in enumerate(TEXTS):
        steps = int(rec.decoder.lengths[b])
        sums = attention[b, :steps].sum(-1)
        assert (sums - 1).abs().max() <= 1e-6
        assert (attention[b, :steps, len(text) :] == 0).all()  # padded source steps
    assert rec["context"].shape == (3, rec.decoder.num_steps, model.config.encoder_size)


def test_padding_changes_nothing_for_a_sequence():
    model = tiny("general")
    alone = record_seq2seq(model, ["ca"])
    batched = record_seq2seq(model, TEXTS)
    steps = int(alone.decoder.lengths[0])
    assert batched.generated[1] == alone.generated[0]
    torch.testing.assert_close(batched["attention"][1, :steps, :2], alone["attention"][0, :steps])
    torch.testing.assert_close(
        batched.decoder.cell[0, 0, 1, :steps], alone.decoder.cell[0, 0, 0, :steps]
    )


def test_teacher_forced_targets_and_the_model_forward_agree():
    model = tiny("additive")
    rec = record_seq2seq(model, ["abc"], targets=["xyz"])
    assert rec.generated == [["x", "y", "z", "</s>"]]
    source, lengths = model.encode(["abc"])
    with torch.no_grad():
        model(source, lengths, torch.tensor([[1, 3, 4, 5]]))  # runs: same shapes
    with pytest.raises(ValueError, match="cannot produce"):
        record_seq2seq(model, ["abc"], targets=["q"])
    with pytest.raises(ValueError, match="at least one character"):
        record_seq2seq(model, [""])


def test_the_recording_saves_and_loads(tmp_path):
    rec = record_seq2seq(tiny("dot"), TEXTS)
    back = EncoderDecoderRecording.load(rec.save(tmp_path / "r.npz"))
    torch.testing.assert_close(back["attention"], rec["attention"])
    assert back.generated == rec.generated and back.config["attention"] == "dot"


def test_bad_configs_are_refused():
    with pytest.raises(ValueError, match="dot attention"):
        Seq2SeqConfig(SOURCE, TARGET, hidden_size=4, decoder_hidden_size=5, attention="dot")
    with pytest.raises(ValueError, match="attention"):
        Seq2SeqConfig(SOURCE, TARGET, attention="cosine")
