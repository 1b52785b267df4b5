"""An encoder-decoder with attention over the encoder states (Bahdanau et al. 2015; Luong et al.
2015), character level.

    config = Seq2SeqConfig(source_tokens=("<pad>", "<unk>", *"abc"), target_tokens=(...))
    model = Seq2Seq(config)
    logits = model(source_ids, source_lengths, target_in)     # teacher forcing [B, T_out, V_out]
    generated = model.generate(source_ids, source_lengths)     # greedy: ids [B, steps]

- Encoder: an embedding, then an ``nn.LSTM`` or ``nn.GRU`` (optionally bidirectional), packed
  so that padding never reaches it. Its outputs (``encoder_size`` = hidden x directions) are what
  the decoder attends to.
- Decoder: an embedding and one ``nn.LSTMCell`` run step by step. Its initial hidden state is
  ``tanh(bridge([h_fwd_last; h_bwd_last]))``, its initial cell state zero.
- Attention (``attention`` in the config), query q and encoder output e_s:
  ``"additive"`` (Bahdanau): score = v . tanh(W q + U e_s), query = the previous decoder hidden
  state, and the context is fed into the LSTM cell with the previous token's embedding;
  ``"dot"`` (Luong): score = q . e_s, and ``"general"`` (Luong): score = q . (W e_s), query = the
  decoder hidden state just computed from the previous token's embedding alone.
  Padded source steps get score -inf, so their weight is exactly 0; each row sums to 1.
- Output: logits = out([h_t; context_t]).

Target vocabulary: id 0 padding, 1 the start token ``<s>``, 2 the end token ``</s>``; source
vocabulary: id 0 padding, 1 unknown. ValueError for bad configs.
"""

from __future__ import annotations

from dataclasses import asdict, dataclass
from typing import Any

import torch
from torch import nn
from torch.nn.utils.rnn import pack_padded_sequence, pad_packed_sequence

ATTENTIONS = ("additive", "dot", "general")
ENCODER_CELLS = ("lstm", "gru")
PAD, UNKNOWN, START, END = "<pad>", "<unk>", "<s>", "</s>"


@dataclass(frozen=True)
class Seq2SeqConfig:
    """The sizes and kinds of an encoder-decoder (every field is saved in config.json)."""

    source_tokens: tuple[str, ...]  # id -> token; starts with <pad>, <unk>
    target_tokens: tuple[str, ...]  # id -> token; starts with <pad>, <s>, </s>
    embedding_size: int = 16
    hidden_size: int = 32  # encoder units per direction
    decoder_hidden_size: int = 0  # 0: hidden_size x directions (what "dot" needs)
    encoder_cell: str = "lstm"  # "lstm" or "gru"
    bidirectional: bool = True
    attention: str = "additive"  # "additive" (Bahdanau), "dot" or "general" (Luong)
    max_target_length: int = 16  # greedy decoding stops here at the latest

    def __post_init__(self) -> None:
        if tuple(self.source_tokens[:2]) != (PAD, UNKNOWN):
            raise ValueError(f"source_tokens must start with {PAD!r}, {UNKNOWN!r}")
        if tuple(self.target_tokens[:3]) != (PAD, START, END):
            raise ValueError(f"target_tokens must start with {PAD!r}, {START!r}, {END!r}")
        if self.attention not in ATTENTIONS:
            raise ValueError(f"attention {self.attention!r} is not one of {', '.join(ATTENTIONS)}")
        if self.encoder_cell not in ENCODER_CELLS:
            raise ValueError(f"encoder_cell {self.encoder_cell!r} is not lstm or gru")
        for name in ("embedding_size", "hidden_size", "max_target_length"):
            value = getattr(self, name)
            if not isinstance(value, int) or not 1 <= value <= 4096:
                raise ValueError(f"{name} must be a whole number in 1..4096, got {value!r}")
        if self.attention == "dot" and self.decoder_size != self.encoder_size:
            raise ValueError(
                f"dot attention needs decoder_hidden_size == encoder outputs "
                f"({self.encoder_size}), got {self.decoder_size}; use 0 or 'general'"
            )

    @property
    def directions(self) -> int:
        return 2 if self.bidirectional else 1

    @property
    def encoder_size(self) -> int:
        return self.hidden_size * self.directions

    @property
    def decoder_size(self) -> int:
        return self.decoder_hidden_size or self.encoder_size

    def to_json(self) -> dict[str, Any]:
        data = asdict(self)
        data["source_tokens"] = list(self.source_tokens)
        data["target_tokens"] = list(self.target_tokens)
        return data

    @classmethod
    def from_json(cls, data: Any) -> Seq2SeqConfig:
        """ValueError (one line) when ``data`` is not a config this class wrote."""
        if not isinstance(data, dict):
            raise ValueError("the seq2seq model settings must be an object")
        known = set(cls.__dataclass_fields__)
        unknown = sorted(set(data) - known)
        if unknown:
            raise ValueError(f"unknown seq2seq model settings: {', '.join(unknown)}")
        for name in ("source_tokens", "target_tokens"):
            tokens = data.get(name)
            if not isinstance(tokens, list) or not all(isinstance(t, str) for t in tokens):
                raise ValueError(f"{name} must be a list of strings")
            if len(set(tokens)) != len(tokens) or len(tokens) > 10_000:
                raise ValueError(f"{name} must be unique and at most 10,000 tokens")
        for name, value in data.items():
            if name in ("source_tokens", "target_tokens"):
                continue
            kind = type(cls.__dataclass_fields__[name].default)
            if type(value) is not kind:
                raise ValueError(f"{name} must be {kind.__name__}, got {value!r}")
        return cls(**{**data, "source_tokens": tuple(data["source_tokens"]),
                      "target_tokens": tuple(data["target_tokens"])})  # fmt: skip


def next_token(logits: torch.Tensor) -> torch.Tensor:
    """The greedy choice [B] from logits [B, V]: never padding or the start token."""
    return logits[:, 2:].argmax(-1) + 2


class Encoder(nn.Module):
    """Embedding + LSTM/GRU over padded ids; forward(ids [B, S], lengths [B]) ->
    (outputs [B, S, encoder_size] zero past each length, final [B, encoder_size])."""

    def __init__(self, config: Seq2SeqConfig) -> None:
        super().__init__()
        self.embedding = nn.Embedding(len(config.source_tokens), config.embedding_size, 0)
        rnn = nn.LSTM if config.encoder_cell == "lstm" else nn.GRU
        self.rnn = rnn(
            config.embedding_size,
            config.hidden_size,
            batch_first=True,
            bidirectional=config.bidirectional,
        )

    def forward(
        self, ids: torch.Tensor, lengths: torch.Tensor, embedded: torch.Tensor | None = None
    ) -> tuple[torch.Tensor, torch.Tensor]:
        """``embedded`` [B, S, embedding_size]: use these instead of the ids' embeddings (for
        attributions to the input)."""
        embedded = self.embedding(ids) if embedded is None else embedded
        packed = pack_padded_sequence(
            embedded, lengths.cpu(), batch_first=True, enforce_sorted=False
        )
        output, state = self.rnn(packed)
        outputs, _ = pad_packed_sequence(output, batch_first=True, total_length=ids.shape[1])
        h_n = state[0] if isinstance(state, tuple) else state  # [directions, B, H]
        return outputs, torch.cat(list(h_n), dim=-1)


class Attention(nn.Module):
    """Scores of one query [B, Q] against encoder outputs [B, S, E]; weights [B, S] (0 where
    ``mask`` [B, S] is False, rows summing to 1) and context [B, E]."""

    def __init__(self, kind: str, query_size: int, key_size: int) -> None:
        super().__init__()
        self.kind = kind
        if kind == "additive":
            self.query = nn.Linear(query_size, query_size, bias=False)
            self.key = nn.Linear(key_size, query_size, bias=True)
            self.v = nn.Linear(query_size, 1, bias=False)
        elif kind == "general":
            self.key = nn.Linear(key_size, query_size, bias=False)

    def keys(self, outputs: torch.Tensor) -> torch.Tensor:
        """What the scores compare the query with (computed once per sequence)."""
        return outputs if self.kind == "dot" else self.key(outputs)

    def forward(
        self, query: torch.Tensor, keys: torch.Tensor, outputs: torch.Tensor, mask: torch.Tensor
    ) -> tuple[torch.Tensor, torch.Tensor]:
        if self.kind == "additive":
            scores = self.v(torch.tanh(self.query(query).unsqueeze(1) + keys)).squeeze(-1)
        else:
            scores = torch.bmm(keys, query.unsqueeze(-1)).squeeze(-1)
        weights = torch.softmax(scores.masked_fill(~mask, float("-inf")), dim=-1)
        return weights, torch.bmm(weights.unsqueeze(1), outputs).squeeze(1)


class Seq2Seq(nn.Module):
    """The encoder-decoder (see the module docstring). Submodules: ``encoder`` (Encoder),
    ``embedding``, ``bridge``, ``cell`` (nn.LSTMCell), ``attention``, ``out``."""

    def __init__(self, config: Seq2SeqConfig) -> None:
        super().__init__()
        self.config = config
        e, d = config.encoder_size, config.decoder_size
        self.encoder = Encoder(config)
        self.embedding = nn.Embedding(len(config.target_tokens), config.embedding_size, 0)
        self.bridge = nn.Linear(e, d)
        feed = e if config.attention == "additive" else 0
        self.cell = nn.LSTMCell(config.embedding_size + feed, d)
        self.attention = Attention(config.attention, d, e)
        self.out = nn.Linear(d + e, len(config.target_tokens))

    def num_parameters(self) -> int:
        return sum(p.numel() for p in self.parameters())

    def start(self, outputs: torch.Tensor, final: torch.Tensor, lengths: torch.Tensor):
        """What every decoder step needs: (keys, mask [B, S], (h0, c0))."""
        mask = torch.arange(outputs.shape[1], device=outputs.device)[None, :] < lengths[:, None]
        h0 = torch.tanh(self.bridge(final))
        return self.attention.keys(outputs), mask, (h0, torch.zeros_like(h0))

    def step(self, token, state, keys, outputs, mask):
        """One decoder step from the previous token ids [B] and state (h, c) [B, D]:
        (logits [B, V], (h, c), attention weights [B, S], context [B, E], cell input [B, I])."""
        embedded = self.embedding(token)
        if self.config.attention == "additive":
            weights, context = self.attention(state[0], keys, outputs, mask)
            cell_input = torch.cat([embedded, context], dim=-1)
            h, c = self.cell(cell_input, state)
        else:
            cell_input = embedded
            h, c = self.cell(cell_input, state)
            weights, context = self.attention(h, keys, outputs, mask)
        return self.out(torch.cat([h, context], dim=-1)), (h, c), weights, context, cell_input

    def forward(
        self,
        source: torch.Tensor,
        lengths: torch.Tensor,
        target_in: torch.Tensor,
        embedded: torch.Tensor | None = None,
    ) -> torch.Tensor:
        """Teacher forcing: logits [B, T, V] for target_in [B, T] (starting with <s>);
        ``embedded``: source embeddings to use instead of the ids' (see Encoder)."""
        outputs, final = self.encoder(source, lengths, embedded)
        keys, mask, state = self.start(outputs, final, lengths)
        logits = []
        for t in range(target_in.shape[1]):
            step_logits, state, *_ = self.step(target_in[:, t], state, keys, outputs, mask)
            logits.append(step_logits)
        return torch.stack(logits, dim=1)

    @torch.no_grad()
    def generate(self, source: torch.Tensor, lengths: torch.Tensor) -> torch.Tensor:
        """Greedy decoding: ids [B, steps] (ending with </s> where one was produced, then 0)."""
        outputs, final = self.encoder(source, lengths)
        keys, mask, state = self.start(outputs, final, lengths)
        token = torch.full((source.shape[0],), 1, dtype=torch.long, device=source.device)
        done = torch.zeros_like(token, dtype=torch.bool)
        produced = []
        for _ in range(self.config.max_target_length):
            logits, state, *_ = self.step(token, state, keys, outputs, mask)
            token = next_token(logits).masked_fill(done, 0)
            produced.append(token)
            done |= token == 2
            if bool(done.all()):
                break
        return torch.stack(produced, dim=1)

    # ---- text ------------------------------------------------------------------------------
    def encode(self, texts: list[str]) -> tuple[torch.Tensor, torch.Tensor]:
        """Character ids [B, S] (padded with 0) and lengths [B]; ValueError for an empty text."""
        ids = {t: i for i, t in enumerate(self.config.source_tokens)}
        if any(len(t) == 0 for t in texts) or not texts:
            raise ValueError("an encoder-decoder input must hold at least one character")
        longest = max(len(t) for t in texts)
        source = torch.zeros(len(texts), longest, dtype=torch.long)
        for row, text in enumerate(texts):
            source[row, : len(text)] = torch.tensor([ids.get(ch, 1) for ch in text])
        return source, torch.tensor([len(t) for t in texts])

    def decode(self, ids: torch.Tensor) -> list[str]:
        """Text of generated ids [B, steps], stopping at </s>."""
        texts = []
        for row in ids.tolist():
            chars = []
            for i in row:
                if i in (0, 2):
                    break
                chars.append(self.config.target_tokens[i])
            texts.append("".join(chars))
        return texts

    def translate(self, texts: list[str], batch_size: int = 256) -> list[str]:
        """Greedy outputs for ``texts``, in order."""
        results: list[str] = []
        for start in range(0, len(texts), batch_size):
            source, lengths = self.encode(texts[start : start + batch_size])
            results.extend(self.decode(self.generate(source, lengths)))
        return results
