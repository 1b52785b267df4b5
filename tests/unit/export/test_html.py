"""export_html: one self-contained page; data cannot break out of its script block."""

from __future__ import annotations

import base64
import json
import re

import numpy as np
import pytest
import torch

import lstm_viz
from lstm_viz.cli import main
from lstm_viz.export import ExportError
from lstm_viz.export.html import export_html


@pytest.fixture(scope="module")
def trace():
    torch.manual_seed(0)
    lstm = torch.nn.LSTM(3, 4, num_layers=1, batch_first=True, bidirectional=True)
    tokens = ["</script>", "<!--", "&", "x"]
    _, trace = lstm_viz.record(lstm, torch.randn(1, 4, 3), tokens=[tokens])
    return trace


def _data(page: str) -> dict:
    block = re.search(r'<script type="application/json" id="lv-data">(.*?)</script>', page, re.S)
    return json.loads(block.group(1))


def test_page_is_self_contained_and_holds_the_recording(trace):
    page = export_html(trace, model="<m>", text="</script><b>")
    from plotly.offline import get_plotlyjs

    assert get_plotlyjs() in page  # embedded whole; the page's own parts load nothing
    own = page.replace(get_plotlyjs(), "")
    assert "<script src" not in own and "http" not in own.replace("http-equiv", "")
    assert page.count("</script>") == 3  # plotly.js, the data, the page's script: nothing else
    assert "&lt;/script&gt;&lt;b&gt;" in page and "&lt;m&gt;" in page  # the note, escaped
    data = _data(page)
    assert data["tokens"] == ["</script>", "<!--", "&", "x"]
    assert data["directions"] == ["forward", "backward"]
    assert len(data["figures"]) == 2 * 6  # every quantity, both directions
    cell = np.frombuffer(base64.b64decode(data["values"]["cell|0|1"]), dtype="<f4").reshape(4, 4)
    assert cell == pytest.approx(trace.cell[0, 1, 0].numpy())
    assert "customdata" not in json.dumps(data["figures"][0]["data"])


def test_long_recordings_are_refused(trace):
    with pytest.raises(ExportError, match="4 steps; a page holds at most 3"):
        export_html(trace, max_steps=3)


def test_cli_says_what_is_wrong(tmp_path, capsys):
    assert main(["export-html", "--model", str(tmp_path), "--input", "x", "--out", "p.html"]) == 2
    assert "is not a checkpoint" in capsys.readouterr().err


def test_cli_colours_the_cell_on_the_models_stored_scale(tmp_path):
    """Issue 16: export-html reads the model folder's scales.json, as the app does."""
    from lstm_viz.analysis.scales import Scales, write_scales
    from lstm_viz.models.checkpoints import save_checkpoint
    from lstm_viz.models.sequence import ModelConfig, SequenceModel
    from lstm_viz.models.vocab import Vocab

    torch.manual_seed(0)
    vocab = Vocab(("<pad>", "<unk>", *"abc "))
    config = ModelConfig(vocab_size=len(vocab), embedding_size=3, hidden_size=4, num_outputs=6)
    folder = save_checkpoint(tmp_path / "tiny", SequenceModel(config), vocab, {})
    write_scales(folder, Scales({"cell": [[2.5]]}, steps=99))
    out = tmp_path / "page.html"
    assert main(["export-html", "--model", str(folder), "--input", "ab c", "--out", str(out)]) == 0
    data = _data(out.read_text(encoding="utf-8"))
    [cell] = [f for f in data["figures"] if f["key"] == "cell|0|0"]
    assert cell["data"][0]["zmax"] == 2.5 and data["legends"]["cell|0|0"] == "c ±2.5 (model)"
    assert (
        "fixed for this model: ±2.5" in data["notes"]["0|0"]
        and "99 validation" in data["notes"]["0|0"]
    )
