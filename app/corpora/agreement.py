"""Caches of Analyze's Agreement section and the agreement tour's ablation stop (part of
app.corpora)."""

from __future__ import annotations

from collections import OrderedDict

import pandas as pd
import streamlit as st

from app.corpora import STORE_LOCK
from app.resources import cached_checkpoint

# ---- Agreement (Lakretz et al.): one table per (model, sentences), shared, progress reported ---
MAX_AGREEMENT = 8


@st.cache_resource(show_spinner=False)
def agreement_store() -> OrderedDict:
    """{(path, version, per_condition): AgreementResult}, the most recently used last."""
    return OrderedDict()


def agreement_is_done(path: str, version: int, per_condition: int) -> bool:
    with STORE_LOCK:
        return (path, version, per_condition) in agreement_store()


def load_agreement(path: str, version: int, per_condition: int, progress=None):
    """lstm_viz.analysis.agreement on the model at ``path`` (computed once, then shared);
    AgreementError (not stored) for a model that cannot be tested."""
    from lstm_viz.analysis.agreement import agreement

    key, store = (path, version, per_condition), agreement_store()
    with STORE_LOCK:
        if key in store:
            store.move_to_end(key)
            return store[key]
    checkpoint = cached_checkpoint(path, version)
    result = agreement(checkpoint.model, checkpoint.vocab, per_condition, progress=progress)
    with STORE_LOCK:
        store[key] = result
        while len(store) > MAX_AGREEMENT:
            store.popitem(last=False)
    return result


@st.cache_data(max_entries=8, show_spinner=False)
def cached_number_unit_cells(path: str, version: int, layer: int, unit: int) -> pd.DataFrame:
    from lstm_viz.analysis.agreement import cell_over_sentence

    checkpoint = cached_checkpoint(path, version)
    return cell_over_sentence(checkpoint.model, checkpoint.vocab, (layer, unit))
