"""Model folders a crash, a hand edit or another tool left broken (issue 13): each is refused
with a one-line CheckpointError, listed as unreadable with its reason, and never hides or breaks
another model. Deletes never follow links; size limits hold before anything is allocated."""

from __future__ import annotations

import json
import os
import threading

import pytest
import torch

from lstm_viz.models import ModelConfig, SequenceModel, checkpoints
from lstm_viz.models.checkpoints import (
    CheckpointError,
    delete_checkpoint,
    list_checkpoints,
    load_checkpoint,
    read_config,
    scan_checkpoints,
)
from lstm_viz.models.folders import check_config, json_depth, read_json
from lstm_viz.models.sequence import MAX_PARAMETERS
from lstm_viz.models.vocab import Vocab
from tests.broken_folders import (
    HOSTILE_REASONS,
    copy_hostile,
    hostile_cases,
    make_broken,
    save_tiny,
)


# ---- the hostile examples and our variants ------------------------------------------------------
@pytest.mark.parametrize("name", HOSTILE_REASONS)
def test_each_hostile_example_is_refused_in_place_with_its_reason(name):
    folder = hostile_cases() / name
    with pytest.raises(CheckpointError, match=HOSTILE_REASONS[name].replace('"', ".")) as info:
        load_checkpoint(folder)
    assert "\n" not in str(info.value)
    good, bad = scan_checkpoints(hostile_cases())
    assert good == [] and dict(bad)[folder].count("\n") == 0


def test_hostile_examples_beside_a_good_model(tmp_path):
    reasons = copy_hostile(tmp_path)
    good = save_tiny(tmp_path / "good")
    assert list_checkpoints(tmp_path) == [good]
    bad = {path.name: reason for path, reason in scan_checkpoints(tmp_path)[1]}
    assert set(bad) == set(reasons)
    for name, phrase in reasons.items():
        assert phrase in bad[name], bad[name]
    assert load_checkpoint(good).vocab is not None


def test_every_variant_is_listed_with_its_reason_and_never_raises(tmp_path):
    cases = make_broken(tmp_path)
    good = save_tiny(tmp_path / "good")
    found, bad = scan_checkpoints(tmp_path)
    assert found == [good]
    reasons = {path.name: reason for path, reason in bad}
    assert set(reasons) == set(cases)
    for name, phrase in cases.items():
        assert phrase in reasons[name], (name, reasons[name])
        assert "\n" not in reasons[name] and len(reasons[name]) <= 300
        with pytest.raises(CheckpointError):
            load_checkpoint(tmp_path / name)


def test_a_deep_config_never_reaches_the_recursive_parser(tmp_path):
    """100,000 levels: refused on the raw text, in a thread with a small stack too."""
    folder = save_tiny(tmp_path / "deep")
    (folder / "config.json").write_text('{"x": ' + "[" * 100_000 + "]" * 100_000 + "}")
    errors = []
    thread = threading.Thread(target=lambda: errors.append(_reason(folder)))
    threading.stack_size(256 * 1024)
    try:
        thread.start()
        thread.join()
    finally:
        threading.stack_size(0)
    assert "100,001 levels deep" in errors[0]


def _reason(folder):
    try:
        read_config(folder)
    except CheckpointError as error:
        return str(error)
    return "accepted"


# ---- the reader and the validator ---------------------------------------------------------------
def test_json_depth_ignores_brackets_inside_strings():
    assert json_depth('{"a": "[[[[{{{{", "b": [1, [2]]}') == 3
    assert json_depth('["\\"[[[", [[]]]') == 3
    assert json_depth("3") == 0


def test_read_json_limits(tmp_path):
    file = tmp_path / "x.json"
    file.write_text('{"a": [1]}')
    assert read_json(file, 100) == {"a": [1]}
    with pytest.raises(CheckpointError, match="at most 5 are read"):
        read_json(file, 5)
    with pytest.raises(CheckpointError, match="nests 2 levels deep; at most 1"):
        read_json(file, 100, max_depth=1)
    with pytest.raises(CheckpointError, match="missing"):
        read_json(tmp_path / "nope.json", 100)
    file.write_text("[1,")
    with pytest.raises(CheckpointError, match="not valid JSON"):
        read_json(file, 100)


GOOD = {"format": "lstm_viz.checkpoint", "version": 1, "model": {}}


@pytest.mark.parametrize(
    "change, phrase",
    [
        ({"model": None}, '"model" must be an object, got null'),
        ({"model": "lstm"}, '"model" must be an object, got text'),
        ({"task": "oops"}, '"task" must be an object, got text'),
        ({"task": ["dyck"]}, '"task" must be an object, got a list'),
        ({"task": {"name": None}}, '"task.name" must be text'),
        ({"task": {"name": "dyck", "params": {"a": [1]}}}, '"task.params"'),
        ({"task": {"name": "dyck", "title": 3}}, '"task.title" must be text'),
        ({"training": [1, 2]}, '"training" must be an object, got a list'),
        ({"training": {"step": -1}}, '"training.step"'),
        ({"training": {"best_metric": "high"}}, '"training.best_metric"'),
        ({"training": {"config": {"epochs": {"x": 1}}}}, '"training.config"'),
        ({"metrics": {"a": "b"}}, '"metrics"'),
        ({"created": 5}, '"created" must be text'),
        ({"owner": "x" * 65}, '"owner"'),
        ({"version": "1"}, '"version"'),
        ({"format": "other"}, "not written by lstm_viz"),
    ],
)
def test_check_config_names_the_bad_field(change, phrase):
    with pytest.raises(CheckpointError, match=phrase.replace("(", r"\(").replace(")", r"\)")):
        check_config({**GOOD, **change}, "lstm_viz.checkpoint")


def test_check_config_accepts_what_lstm_viz_writes():
    config = {**GOOD, "task": None, "training": {"step": 3, "best_metric": None}, "x": [1]}
    assert check_config(config, "lstm_viz.checkpoint") is config
    with pytest.raises(CheckpointError, match="must hold an object, got a list"):
        check_config([1], "lstm_viz.checkpoint")
    with pytest.raises(CheckpointError, match='no "model"'):
        check_config({"format": "lstm_viz.checkpoint"}, "lstm_viz.checkpoint")


@pytest.mark.parametrize(
    "settings, phrase",
    [
        ({"vocab_size": 1e8}, "vocab_size must be a whole number"),
        ({"vocab_size": 100_000_000}, "vocab_size must be in [0, 1000000]"),
        ({"vocab_size": 4, "hidden_size": "64"}, "hidden_size must be a whole number"),
        ({"vocab_size": 4, "bidirectional": "yes"}, "bidirectional must be true or false"),
        ({"vocab_size": 4, "num_layers": True}, "num_layers must be a whole number"),
        ({"vocab_size": 4, "objective": "guess"}, "objective must be one of"),
        ({"vocab_size": 4, "dropout": None}, "dropout must be a number"),
        ({"input_size": 10**9}, "input_size must be in"),
        (
            {
                "vocab_size": 10,
                "hidden_size": 4096,
                "num_layers": 8,
                "bidirectional": True,
                "objective": "step_class",
            },
            f"at most {MAX_PARAMETERS:,} are built",
        ),
    ],
)
def test_model_settings_are_refused_before_allocating(settings, phrase):
    with pytest.raises(ValueError, match=phrase.replace("[", r"\[").replace("]", r"\]")):
        ModelConfig.from_json(settings)


@pytest.mark.parametrize("cell", ["lstm", "peephole_lstm", "gru", "rnn_tanh", "rnn_relu"])
@pytest.mark.parametrize("bidirectional", [False, True])
def test_parameter_count_from_the_config_matches_the_model(cell, bidirectional):
    for size in ({"vocab_size": 7}, {"input_size": 3}):
        config = ModelConfig(
            cell=cell,
            embedding_size=5,
            hidden_size=6,
            num_layers=3,
            num_outputs=4,
            bidirectional=bidirectional,
            objective="step_class",
            **size,
        )
        model = SequenceModel(config)
        assert config.num_parameters() == model.num_parameters()
        assert config.state_shapes() == {k: tuple(v.shape) for k, v in model.state_dict().items()}


def test_vocab_json_is_read_through_the_checked_reader(tmp_path):
    file = tmp_path / "vocab.json"
    file.write_text("[" * 5000 + "]" * 5000)
    with pytest.raises(CheckpointError, match="levels deep"):
        Vocab.load(file)
    file.write_text(json.dumps({"tokens": ["<pad>", "<unk>", 3]}))
    with pytest.raises(CheckpointError, match="must be a string"):
        Vocab.load(file)
    file.write_text(json.dumps({"tokens": ["a", "b"]}))
    with pytest.raises(CheckpointError, match="starts with"):
        Vocab.load(file)


# ---- folders that cannot be read or changed -----------------------------------------------------
@pytest.mark.skipif(os.geteuid() == 0, reason="root reads a chmod 000 folder anyway")
def test_a_chmod_000_folder_is_listed_with_a_reason(tmp_path):
    good, locked = save_tiny(tmp_path / "good"), save_tiny(tmp_path / "locked")
    locked.chmod(0)
    try:
        found, bad = scan_checkpoints(tmp_path)
        assert found == [good]
        assert "permission denied" in dict(bad)[locked]
    finally:
        locked.chmod(0o755)


def test_an_unreadable_config_is_listed_with_a_reason(tmp_path, monkeypatch):
    """The same as chmod 000 for a user that root's tests cannot be: open() is refused."""
    good, locked = save_tiny(tmp_path / "good"), save_tiny(tmp_path / "locked")
    real_open = open

    def refusing_open(path, *args, **kwargs):
        if "locked" in str(path):
            raise PermissionError(13, "Permission denied", str(path))
        return real_open(path, *args, **kwargs)

    monkeypatch.setattr("lstm_viz.models.folders.open", refusing_open, raising=False)
    found, bad = scan_checkpoints(tmp_path)
    assert found == [good]
    assert dict(bad)[locked] == "config.json cannot be read (permission denied)"


def test_a_read_only_folder_with_a_leftover_old_copy(tmp_path, monkeypatch):
    """A save killed between its two renames left ".old-NAME-..." in a folder that is now
    read-only: nothing raises, the good model is listed, NAME is listed as unreadable."""
    good = save_tiny(tmp_path / "good")
    save_tiny(tmp_path / "gone").rename(tmp_path / ".old-gone-1234abcd")
    save_tiny(tmp_path / "other")
    (tmp_path / ".old-other-99999999").mkdir()  # a stale leftover beside its model

    def read_only(*args, **kwargs):
        raise PermissionError(30, "Read-only file system")

    monkeypatch.setattr(checkpoints.os, "replace", read_only)
    monkeypatch.setattr(checkpoints.shutil, "rmtree", read_only)
    found, bad = scan_checkpoints(tmp_path)
    assert sorted(p.name for p in found) == ["good", "other"]
    assert [p.name for p, _ in bad] == ["gone"]
    assert "read-only" in bad[0][1] and ".old-gone-1234abcd" in bad[0][1]
    assert load_checkpoint(good).model is not None
    monkeypatch.undo()  # writable again: the next reader puts it back
    assert sorted(p.name for p in list_checkpoints(tmp_path)) == ["gone", "good", "other"]


def test_deleting_a_symlinked_model_removes_the_link_only(tmp_path):
    models, elsewhere = tmp_path / "models", tmp_path / "elsewhere"
    real = save_tiny(elsewhere / "real")
    models.mkdir()
    (models / "linked").symlink_to(real, target_is_directory=True)
    assert [p.name for p in list_checkpoints(models)] == ["linked"]
    delete_checkpoint(models / "linked")
    assert not os.path.lexists(models / "linked")
    assert (real / "config.json").is_file() and (real / "model.safetensors").is_file()


def test_deleting_a_model_with_a_link_inside_keeps_the_target(tmp_path):
    outside = tmp_path / "outside.txt"
    outside.write_text("keep me")
    model = save_tiny(tmp_path / "models" / "m")
    (model / "notes").symlink_to(outside)
    delete_checkpoint(model)
    assert not model.exists() and outside.read_text() == "keep me"


def test_deleting_something_else_is_refused_with_one_error_type(tmp_path):
    (tmp_path / "notes").mkdir()
    with pytest.raises(CheckpointError, match="not a checkpoint"):
        delete_checkpoint(tmp_path / "notes")
    assert (tmp_path / "notes").is_dir()


@pytest.mark.parametrize(
    "info, phrase",
    [
        (None, "names no task"),
        ("oops", "names no task"),
        ({"title": "x"}, "names no task"),
        ({"name": "dyck", "params": [1, 2]}, "no readable parameters"),
        ({"name": "nope"}, "unknown task"),
        ({"name": "dyck", "params": {"types": 99}}, "types must be in"),
    ],
)
def test_a_task_is_rebuilt_from_info_or_refused_in_one_line(info, phrase):
    from lstm_viz.tasks import task_from_info

    with pytest.raises(ValueError, match=phrase):
        task_from_info(info)


def test_saving_while_other_sessions_list_the_folder_never_fails(tmp_path):
    """A reader's recovery may put the old copy back between a save's two renames: the save
    swaps again instead of failing, and the newest weights win."""
    from lstm_viz.models.checkpoints import save_checkpoint

    path = save_tiny(tmp_path / "m")
    model = load_checkpoint(path).model
    stop, errors = threading.Event(), []

    def list_forever():
        while not stop.is_set():
            try:
                list_checkpoints(tmp_path)
            except Exception as error:  # noqa: BLE001 - the test reports it
                errors.append(error)

    readers = [threading.Thread(target=list_forever) for _ in range(3)]
    for reader in readers:
        reader.start()
    try:
        for step in range(40):
            with torch.no_grad():
                model.head.bias.fill_(step)
            save_checkpoint(path, model, load_checkpoint(path).vocab)
    finally:
        stop.set()
        for reader in readers:
            reader.join()
    assert not errors
    assert [p.name for p in list_checkpoints(tmp_path)] == ["m"]
    assert load_checkpoint(path).model.head.bias[0].item() == 39
