"""python -m lstm_viz generate: run an encoder-decoder (e.g. pretrained/dates-attention-lstm).

python -m lstm_viz generate --model DIR --input "3rd of March 2021"    # last line: the output
python -m lstm_viz generate --model DIR --input-file dates.txt         # one output per line
python -m lstm_viz generate --model DIR --input "..." --attention-csv attention.csv
"""

from __future__ import annotations

import argparse
import csv
from pathlib import Path

MAX_INPUT_FILE_BYTES = 50_000_000
MAX_LINE_CHARS = 1_000
COMMANDS = ("generate",)


def add_commands(commands) -> None:
    generate = commands.add_parser(
        "generate", help="run an encoder-decoder model (greedy decoding) on text"
    )
    generate.add_argument("--model", type=Path, required=True, help="the model's folder")
    given = generate.add_mutually_exclusive_group(required=True)
    given.add_argument("--input", help="one input text; its output is printed on the last line")
    given.add_argument(
        "--input-file", type=Path, help="a UTF-8 text file: one input per line, one output each"
    )
    generate.add_argument(
        "--attention-csv",
        type=Path,
        help="with --input: write the attention matrix (header: source tokens; first column: "
        "generated tokens; one row per generated token, summing to 1)",
    )


def run(args: argparse.Namespace) -> int:
    """Raises ValueError (one line) for a model folder or input that cannot be used."""
    from lstm_viz.models.seq2seq_files import load_seq2seq

    if args.attention_csv is not None and args.input is None:
        raise ValueError("--attention-csv needs --input (one text), not --input-file")
    model = load_seq2seq(args.model).model
    if args.input is not None:
        text = _check_line(args.input, "--input")
        if args.attention_csv is not None:
            from lstm_viz.recording.seq2seq import generated_text, record_seq2seq

            recording = record_seq2seq(model, [text])
            write_attention_csv(args.attention_csv, recording)
            print(generated_text(recording.generated[0]))
        else:
            print(model.translate([text])[0])
        return 0
    lines = _read_lines(args.input_file)
    present = [k for k, line in enumerate(lines) if line]
    outputs = [""] * len(lines)
    for k, out in zip(present, model.translate([lines[k] for k in present]), strict=True):
        outputs[k] = out
    print("\n".join(outputs))
    return 0


def write_attention_csv(path: Path, recording) -> Path:
    """The first sequence's attention as CSV: header "" + source tokens, then one row per
    generated token (the token, then its weights over the source tokens)."""
    source = recording.encoder.tokens[0]
    generated = recording.generated[0]
    attention = recording["attention"][0, : len(generated), : len(source)]
    with open(path, "w", newline="", encoding="utf-8") as file:
        writer = csv.writer(file)
        writer.writerow(["generated \\ source", *source])
        for token, row in zip(generated, attention.tolist(), strict=True):
            writer.writerow([token, *(format(w, ".9g") for w in row)])
    return path


def _check_line(text: str, where: str) -> str:
    if not text:
        raise ValueError(f"{where} is empty: give at least one character")
    if len(text) > MAX_LINE_CHARS:
        raise ValueError(f"{where} has {len(text):,} characters; at most {MAX_LINE_CHARS:,}")
    return text


def _read_lines(path: Path) -> list[str]:
    try:
        size = path.stat().st_size
        if size > MAX_INPUT_FILE_BYTES:
            raise ValueError(f"{path} is {size:,} bytes; at most {MAX_INPUT_FILE_BYTES:,}")
        text = path.read_text(encoding="utf-8")
    except FileNotFoundError:
        raise ValueError(f"--input-file {path} does not exist") from None
    except UnicodeDecodeError:
        raise ValueError(f"--input-file {path} is not UTF-8 text") from None
    except OSError as error:
        raise ValueError(f"--input-file {path} cannot be read ({error.strerror})") from None
    lines = text.splitlines()
    for number, line in enumerate(lines, 1):
        _check_line(line or "x", f"line {number} of {path}")
    return lines
