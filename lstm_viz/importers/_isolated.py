"""Read an uploaded file in a separate process, with limits on its memory and time.

The readers are Python, but below them run native parsers (HDF5, protobuf, torch's zip reader,
safetensors). A crafted file that crashed one of them inside a web server would take the server
down for everybody; in a child process it only ends the child. The child sends back plain data:
a JSON description and a safetensors blob of the tensors (nothing pickled).

The child gets only what it needs: an empty temporary working folder (also its HOME and TMPDIR),
removed when it ends; an environment of a few named variables, not a copy of the server's (no
secrets, no HDF5_* prefixes or plugin paths); onnxruntime's telemetry off.

    python -m lstm_viz.importers._isolated   # reads "<filename>\\n<bytes>" on stdin
"""

from __future__ import annotations

import base64
import json
import os
import struct
import subprocess
import sys
import tempfile
from collections.abc import Callable
from pathlib import Path
from typing import Any

import torch

from ._core import ORT_TELEMETRY_OFF, ImportedFile, Linear, ModelFileError, RecurrentLayer

TIMEOUT_SECONDS = 120
MEMORY_BYTES = 6 * 1024**3  # the child's address-space limit (torch alone maps ~1-2 GB)


def inspect_isolated(
    data: bytes,
    filename: str,
    timeout: float = TIMEOUT_SECONDS,
    memory: int = MEMORY_BYTES,
    command: list[str] | None = None,
) -> ImportedFile:
    """``inspect_file(data, filename)`` run in a child process with ``memory`` bytes of address
    space and ``timeout`` seconds. ModelFileError for a bad file, and also when the child is
    killed, crashes or runs out of time or memory (the caller's process is never at risk).
    ``command``: the child's command line (default: this module under this Python)."""
    message = filename.encode("utf-8", "replace").replace(b"\n", b" ") + b"\n" + data
    reply = run_isolated(
        command or [sys.executable, "-m", "lstm_viz.importers._isolated"],
        message,
        filename,
        "reading it",
        timeout,
        memory,
    )
    try:
        return decode(reply)
    except ModelFileError:
        raise
    except Exception as error:  # a reply we cannot read is a failed read, not a crash
        raise ModelFileError(f"{filename}: the reader's reply is unreadable ({error})") from None


def run_isolated(
    command: list[str],
    message: bytes,
    filename: str,
    what: str = "reading it",
    timeout: float = TIMEOUT_SECONDS,
    memory: int = MEMORY_BYTES,
) -> bytes:
    """The standard output of ``command`` (a reader of an uploaded file: ``python -m ...``) fed
    ``message`` on its standard input, run in an empty temporary folder with
    child_environment(), ``memory`` bytes of address space and ``timeout`` seconds.
    ModelFileError naming ``filename`` when it runs out of time or memory, crashes or fails."""
    try:
        with tempfile.TemporaryDirectory(prefix="lstm-viz-read-") as folder:
            result = subprocess.run(
                command,
                input=message,
                capture_output=True,
                timeout=timeout,
                cwd=folder,
                env=child_environment(folder),
                preexec_fn=_limits(memory) if os.name == "posix" else None,
            )
    except subprocess.TimeoutExpired:
        raise ModelFileError(
            f"{filename}: {what} took longer than {timeout:.0f} s: refused"
        ) from None
    if result.returncode != 0:
        if result.returncode < 0:
            why = f"the reader crashed (signal {-result.returncode})"
        elif b"MemoryError" in result.stderr:
            why = f"reading it needs more than {memory / 2**30:.0f} GB of memory"
        else:
            why = "the reader failed: " + result.stderr.decode("utf-8", "replace")[-300:].strip()
        raise ModelFileError(f"{filename} cannot be read safely: {why}")
    return result.stdout


def answer(work: Callable[[], tuple[dict[str, Any], bytes]]) -> int:
    """A reading child's whole reply: ``work()``'s (meta, body), or {"error": the reason} for a
    ModelFileError or a native parser's own error on a malformed file. Written to standard
    output as the length of the JSON meta (8 bytes, little-endian), the JSON, then the body.
    Returns 0, the child's exit status."""
    try:
        meta, body = work()
    except ModelFileError as error:
        meta, body = {"error": str(error)}, b""
    except Exception as error:  # a parser's own error on a malformed file: say so
        meta, body = {"error": f"{type(error).__name__}: {str(error)[:300]}"}, b""
    raw = json.dumps(meta).encode()
    sys.stdout.buffer.write(struct.pack("<Q", len(raw)) + raw + body)
    sys.stdout.buffer.flush()
    return 0


def read_reply(reply: bytes, filename: str) -> tuple[dict[str, Any], bytes]:
    """(meta, body) of a child's reply (answer); ModelFileError with the child's own message
    when meta holds an "error", or when the reply is cut short."""
    if len(reply) < 8:
        raise ModelFileError(f"{filename}: the reading process sent no reply")
    (size,) = struct.unpack("<Q", reply[:8])
    try:
        meta = json.loads(reply[8 : 8 + size])
    except ValueError:
        raise ModelFileError(f"{filename}: the reading process's reply is unreadable") from None
    if "error" in meta:
        raise ModelFileError(meta["error"])
    return meta, reply[8 + size :]


# Passed on from the server's environment when set: what the dynamic loader and Python itself
# need to start (a library path set for torch, Windows' system folder), nothing else.
PASSED_ON = ("LD_LIBRARY_PATH", "SYSTEMROOT", "PYTHONHOME")


def child_environment(folder: str) -> dict[str, str]:
    """The whole environment of the reading child: its working ``folder`` as HOME and TMPDIR,
    this package's folder (and the server's PYTHONPATH) to import from, one thread, onnxruntime's
    telemetry off, and the few variables in PASSED_ON that the server has."""
    root = str(Path(__file__).resolve().parents[2])  # the folder holding lstm_viz/
    paths = [root, *[p for p in os.environ.get("PYTHONPATH", "").split(os.pathsep) if p]]
    env = {name: os.environ[name] for name in PASSED_ON if name in os.environ}
    env.update(
        {
            "PYTHONPATH": os.pathsep.join(paths),
            "HOME": folder,
            "TMPDIR": folder,
            "OMP_NUM_THREADS": "1",
            "PYTHONDONTWRITEBYTECODE": "1",
            **ORT_TELEMETRY_OFF,
        }
    )
    return env


def _limits(memory: int):
    def apply() -> None:
        import resource

        resource.setrlimit(resource.RLIMIT_AS, (memory, memory))
        resource.setrlimit(resource.RLIMIT_CORE, (0, 0))

    return apply


# ---- the reply: JSON + safetensors --------------------------------------------------------------


def encode(imported: ImportedFile | None, error: str | None = None) -> bytes:
    """length of the JSON (8 bytes) + JSON + safetensors of every tensor."""
    from safetensors.torch import save

    if imported is None:
        raw = json.dumps({"error": error}).encode()
        return struct.pack("<Q", len(raw)) + raw
    tensors: dict[str, torch.Tensor] = {}
    layers = []
    models: dict[int, str] = {}
    for i, layer in enumerate(imported.layers):
        for name, value in layer.weights.items():
            tensors[f"{i}/w/{name}"] = value.contiguous()
        extras = {}
        for what in ("embeddings", "heads"):
            extras[what] = []
            for j, found in enumerate(getattr(layer, what)):
                tensors[f"{i}/{what}/{j}/weight"] = found.weight.contiguous()
                if found.bias is not None:
                    tensors[f"{i}/{what}/{j}/bias"] = found.bias.contiguous()
                extras[what].append({"name": found.name, "bias": found.bias is not None})
        reference = dict(layer.reference or {})
        if isinstance(reference.get("model"), bytes):  # the file itself: sent once
            model = base64.b64encode(reference["model"]).decode()
            reference["model"] = 0 if model == models.setdefault(0, model) else model
        layers.append(
            {
                "name": layer.name,
                "kind": layer.kind,
                "input_size": layer.input_size,
                "hidden_size": layer.hidden_size,
                "num_layers": layer.num_layers,
                "bidirectional": layer.bidirectional,
                "bias": layer.bias,
                "proj_size": layer.proj_size,
                "weights": list(layer.weights),
                "sources": layer.sources,
                "notes": layer.notes,
                "problems": layer.problems,
                "reference": reference or None,
                "masking": layer.masking,
                "initial_state": layer.initial_state,
                "reverse": layer.reverse,
                "steps": layer.steps,
                **extras,
            }
        )
    meta = {
        "filename": imported.filename,
        "format": imported.format,
        "notes": imported.notes,
        "layers": layers,
        "model": models.get(0),
    }
    raw = json.dumps(meta).encode()
    return struct.pack("<Q", len(raw)) + raw + (save(tensors) if tensors else b"")


def decode(reply: bytes) -> ImportedFile:
    from safetensors.torch import load

    (size,) = struct.unpack("<Q", reply[:8])
    meta = json.loads(reply[8 : 8 + size])
    if "error" in meta:
        raise ModelFileError(meta["error"])
    tensors: dict[str, torch.Tensor] = load(reply[8 + size :]) if len(reply) > 8 + size else {}
    layers = []
    model = None
    for i, entry in enumerate(meta["layers"]):
        extras: dict[str, list[Linear]] = {}
        for what in ("embeddings", "heads"):
            extras[what] = [
                Linear(
                    found["name"],
                    tensors[f"{i}/{what}/{j}/weight"],
                    tensors[f"{i}/{what}/{j}/bias"] if found["bias"] else None,
                )
                for j, found in enumerate(entry[what])
            ]
        reference = entry["reference"]
        if reference and reference.get("model") == 0 and meta.get("model"):
            reference["model"] = model = model or base64.b64decode(meta["model"])
        elif reference and isinstance(reference.get("model"), str):
            reference["model"] = base64.b64decode(reference["model"])
        layers.append(
            RecurrentLayer(
                name=entry["name"],
                kind=entry["kind"],
                input_size=entry["input_size"],
                hidden_size=entry["hidden_size"],
                num_layers=entry["num_layers"],
                bidirectional=entry["bidirectional"],
                bias=entry["bias"],
                weights={n: tensors[f"{i}/w/{n}"] for n in entry["weights"]},
                proj_size=entry["proj_size"],
                sources=entry["sources"],
                notes=entry["notes"],
                problems=entry["problems"],
                reference=reference,
                masking=entry.get("masking"),
                initial_state=entry.get("initial_state"),
                reverse=bool(entry.get("reverse")),
                steps=entry.get("steps") if type(entry.get("steps")) is int else None,
                **extras,
            )
        )
    return ImportedFile(meta["filename"], meta["format"], layers, meta["notes"])


def _main() -> int:
    from . import inspect_file

    raw = sys.stdin.buffer.read()
    filename, _, data = raw.partition(b"\n")
    name = filename.decode("utf-8", "replace")
    try:
        reply = encode(inspect_file(data, name))
    except ModelFileError as error:
        reply = encode(None, str(error))
    sys.stdout.buffer.write(reply)
    sys.stdout.buffer.flush()
    return 0


if __name__ == "__main__":
    sys.exit(_main())
