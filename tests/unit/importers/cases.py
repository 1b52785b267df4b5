"""The shared import cases (``../shared/cases/import/``, issue 15) as a table: per file, how to
record it and its right behaviour (a reference within 1e-5, or a refusal with key words).

Used by test_cases.py and by ``python -m tests.unit.importers.cases REPO`` (the before/after
measure: it drives ``python -m lstm_viz record`` of REPO on every case and prints one line each).
"""

from __future__ import annotations

import subprocess
import sys
import tempfile
from dataclasses import dataclass
from pathlib import Path

import numpy as np

ROOT = Path(__file__).resolve().parents[3]
CASES = ROOT.parent / "shared" / "cases" / "import"
TOLERANCE = 1e-5


@dataclass(frozen=True)
class Case:
    folder: str
    file: str
    input: str  # "csv:x.csv", "ids-file:ids.txt", "ids:..."
    layer: str | None = None
    embedding: bool = True
    reference: str | None = None  # ref_*.npy: the recording's last layer, [T, D*H] or ONNX Y
    refusal: tuple[str, ...] = ()  # key words every refusal message must hold (lower case)
    notes: tuple[str, ...] = ()  # key words the recording's notes must hold (lower case)

    @property
    def id(self) -> str:
        layer = f"[{self.layer}]" if self.layer else ""
        return f"{self.folder[:2]}/{self.file}{layer}:{self.input.split(':')[-1]}"

    def path(self, name: str | None = None) -> Path:
        return CASES / self.folder / (name or self.file)

    def input_spec(self) -> tuple[str, bytes | None]:
        """(source for prepare/record_imported, CSV bytes or None)."""
        kind, _, rest = self.input.partition(":")
        if kind == "csv":
            return "csv", self.path(rest).read_bytes()
        if kind == "ids-file":
            return "ids:" + self.path(rest).read_text().strip(), None
        return self.input, None


AWD = "01_awd_lstm_raw"
QUANT = "03_quantized_dynamic_lstm"
JIT = "04_torchscript"
HARD = "07_keras_hard_sigmoid"
CUDNN = "08_cudnnlstm_h5"
MASK = "10_keras_mask_zero"
ONNX = "14_onnx_lstm_peepholes"
CSV = "15_csv_inputs"
VIS = "16_lstmvis_states_h5"
S2S = "19_seq2seq_encoder_decoder"

QUANTIZED = ("dynamically quantized", "before quantizing")
SCRIPT = ("torchscript", "torch.jit.load", "state_dict()")
ALL = [
    *(
        Case(AWD, f, "csv:x.csv", embedding=False, reference="ref_hidden.npy", notes=("_raw",))
        for f in ("a_salesforce.pt", "b_fastai2.pt", "c_fastai1.pt", "c_fastai1_eval.pt")
    ),
    Case(QUANT, "quantized_lm.pt", "ids-file:ids.txt", refusal=QUANTIZED),
    Case(QUANT, "float_lm.pt", "ids-file:ids.txt", reference="ref_float_hidden.npy"),
    Case(JIT, "traced.pt", "ids-file:ids.txt", refusal=SCRIPT),
    Case(JIT, "scripted.pt", "ids-file:ids.txt", refusal=SCRIPT),
    Case(JIT, "from_traced_state_dict.pt", "ids-file:ids.txt", reference="ref_hidden.npy"),
    Case(HARD, "hard_sigmoid.keras", "csv:x.csv", refusal=("hard_sigmoid", "sigmoid")),
    Case(HARD, "hard_sigmoid.h5", "csv:x.csv", refusal=("hard_sigmoid", "sigmoid")),
    Case(HARD, "mixed.keras", "csv:x.csv", layer="gru_ok", reference="ref_mixed_gru_ok.npy"),
    Case(HARD, "mixed.keras", "csv:x.csv", layer="lstm_hard", refusal=("hard_sigmoid",)),
    Case(CUDNN, "cudnnlstm.h5", "csv:x.csv", reference="cudnnlstm_ref_hidden.npy"),
    Case(CUDNN, "cudnngru.h5", "csv:x.csv", reference="cudnngru_ref_hidden.npy"),
    Case(CUDNN, "cudnnlstm_weights_only.h5", "csv:x.csv", reference="cudnnlstm_ref_hidden.npy"),
    *(
        Case(MASK, f, f"ids-file:ids_{pad}.txt", reference=f"ref_{pad}.npy", notes=("mask",))
        for f in ("mask_zero.keras", "mask_zero.h5")
        for pad in ("pre", "post", "nopad")
    ),
    Case(MASK, "masking.keras", "csv:x_padded.csv", reference="ref_masking.npy", notes=("mask",)),
    Case(ONNX, "peephole.onnx", "csv:x.csv", reference="ref_peephole.npy"),
    Case(ONNX, "input_forget.onnx", "csv:x.csv", refusal=("input_forget",)),
    Case(ONNX, "reverse.onnx", "csv:x.csv", reference="ref_reverse.npy"),
    Case(ONNX, "two_nodes.onnx", "csv:x.csv", layer="plain_lstm", reference="ref_plain.npy"),
    Case(ONNX, "two_nodes.onnx", "csv:x.csv", layer="clipped_lstm", refusal=("clip",)),
    *(
        Case(CSV, "forecaster.pt", f"csv:{f}", layer="lstm", reference="ref_hidden.npy")
        for f in ("a_with_date.csv", "b_no_header.csv", "e_semicolon_decimal_comma.csv")
    ),
    Case(
        CSV,
        "forecaster.pt",
        "csv:c_missing_value.csv",
        layer="lstm",
        refusal=("row", "humidity", "missing"),
    ),  # fmt: skip
    *(
        Case(VIS, f, "random:5", refusal=("lstmvis", "recorded states", "not a model"))
        for f in ("states.h5", "states.hdf5", "train.hdf5")
    ),
    Case(
        S2S,
        "seq2seq.tar.pt",
        "ids-file:ids.txt",
        layer="decoder_state_dict.gru",
        reference="ref_decoder.npy",
    ),  # fmt: skip
    Case(
        S2S,
        "seq2seq.tar.pt",
        "ids-file:ids.txt",
        layer="encoder_state_dict.gru",
        reference="ref_encoder.npy",
    ),  # fmt: skip
]


def last_layer(hidden: np.ndarray) -> np.ndarray:
    """A trace's hidden [L, D, B, T, H] -> the last layer's output [T, D*H] (batch 0)."""
    last = hidden[-1, :, 0]  # [D, T, H]
    return np.concatenate(list(last), axis=-1)


def difference(case: Case, hidden: np.ndarray) -> float:
    """max |recording - reference| over every step and unit."""
    ref = np.load(case.path(case.reference)).astype(np.float64)
    if ref.ndim == 4:  # ONNX Y [T, D, B, H]
        ref = np.concatenate(list(ref[:, :, 0].transpose(1, 0, 2)), axis=-1)
    ours = last_layer(hidden).astype(np.float64)
    if ours.shape != ref.shape:
        return float("inf")
    return float(np.abs(ours - ref).max())


# ---- the before/after measure through the command line -------------------------------------------


def measure(repo: Path) -> None:
    """One line per case: the command line of ``repo`` on it, and the max difference or the
    message (its last line)."""
    for case in ALL:
        source, csv = case.input_spec()
        with tempfile.TemporaryDirectory() as folder:
            args = ["record", "--model", str(case.path()), "--out", f"{folder}/t.npz"]
            if csv is not None:
                Path(folder, "x.csv").write_bytes(csv)
                source = f"{folder}/x.csv"
            args += ["--input", source]
            if case.layer:
                args += ["--layer", case.layer]
            if not case.embedding:
                args.append("--no-embedding")
            result = subprocess.run(
                [sys.executable, "-m", "lstm_viz", *args],
                cwd=repo,
                capture_output=True,
                text=True,
                timeout=300,
                env={"KERAS_BACKEND": "torch", "PATH": "/usr/bin:/bin"},
            )
            if result.returncode == 0 and case.reference:
                from lstm_viz.trace import Trace

                diff = difference(case, Trace.load(f"{folder}/t.npz").hidden.numpy())
                verdict = "PASS" if diff <= TOLERANCE else "FAIL"
                checks = [
                    line.strip() for line in result.stdout.splitlines() if "check" in line.lower()
                ]
                print(f"{verdict} {case.id}: max diff {diff:.3g} | {' | '.join(checks)[:300]}")
            else:
                text = (result.stderr.strip() or result.stdout.strip()).splitlines()
                message = text[-1] if text else ""
                traceback = "Traceback" in result.stderr
                ok = (
                    result.returncode != 0
                    and not traceback
                    and case.refusal
                    and all(w in message.lower() for w in case.refusal)
                )
                verdict = "PASS" if ok else "FAIL"
                extra = " (traceback)" if traceback else ""
                print(f"{verdict} {case.id}: rc {result.returncode}{extra}: {message[:400]}")
            sys.stdout.flush()


if __name__ == "__main__":
    measure(Path(sys.argv[1]))
