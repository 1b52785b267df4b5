"""Analyses that find out what units do, over a corpus recorded as one Trace.

    corpus = record_corpus(model, task)               # the model over its validation data
    saturation(corpus.trace)                          # how often each gate sits near 0 or 1
    half_lives(corpus.trace)                          # each unit's memory half-life
    find_units(corpus.trace, feature_set(...))        # which unit follows which feature
    cell_ledger(trace, unit, step)                    # which earlier writes survive in c_t
    intervene(model, inputs, [Intervention(...)])     # clamp a gate, re-run
    gradient_flow(model, inputs)                      # ||d h_T / d x_t|| over t
    find_spans(hidden, units, threshold, min_length)  # LSTMVis pattern search
    attribute(model, ids, target)                     # which input steps made an output
    patching_sweep(model, clean, corrupt, metric)     # which units at which steps carry it
    split_model(model, ids)                           # why a gate opened: its pre-activation
    trajectories([trace_a, trace_b], corpus=corpus)   # states as PCA paths through the tokens
    agreement.agreement(model, vocab)                 # Lakretz: agreement, ablations, number unit

Every function takes and returns plain data (Trace, numpy, pandas, plotly); no streamlit.
"""

from .attribution import METHODS, Attribution, AttributionError, attribute
from .corpus import Corpus, concat_traces, record_corpus, span_text
from .finder import (
    BUILT_IN,
    FEATURE_LABELS,
    constant_features,
    correlate,
    feature_set,
    find_units,
    regex_feature,
    split_rows,
    token_features,
    top_units,
)
from .gradients import gradient_figure, gradient_flow, jacobian_norms
from .interventions import (
    TARGETS,
    TARGETS_BY_KIND,
    Intervention,
    InterventionResult,
    intervene,
    intervention_figure,
    run_lstm,
    top_predictions,
)
from .ledger import Ledger, cell_ledger, ledger_figure
from .patching import (
    Patch,
    Patcher,
    PatchingError,
    PatchingResult,
    logit,
    logit_diff,
    patching_sweep,
)
from .patterns import find_spans, find_spans_naive, similar_spans, units_on
from .preactivation import PreactivationSplit, split_model, split_preactivations
from .saturation import (
    gate_names,
    saturation,
    saturation_figure,
    saturation_finding,
    saturation_summary,
)
from .timescales import half_life_figure, half_lives
from .trajectories import Trajectory, TrajectoryError, trajectories
from .user_regex import PatternError, match_spans

__all__ = [
    "METHODS",
    "Attribution",
    "AttributionError",
    "Patch",
    "Patcher",
    "PatchingError",
    "PatchingResult",
    "PreactivationSplit",
    "Trajectory",
    "TrajectoryError",
    "attribute",
    "logit",
    "logit_diff",
    "patching_sweep",
    "split_model",
    "split_preactivations",
    "trajectories",
    "PatternError",
    "match_spans",
    "BUILT_IN",
    "FEATURE_LABELS",
    "TARGETS",
    "TARGETS_BY_KIND",
    "Corpus",
    "Intervention",
    "InterventionResult",
    "Ledger",
    "cell_ledger",
    "concat_traces",
    "constant_features",
    "correlate",
    "feature_set",
    "find_spans",
    "find_spans_naive",
    "find_units",
    "gate_names",
    "gradient_figure",
    "gradient_flow",
    "half_life_figure",
    "half_lives",
    "intervene",
    "intervention_figure",
    "jacobian_norms",
    "ledger_figure",
    "record_corpus",
    "regex_feature",
    "run_lstm",
    "saturation",
    "saturation_figure",
    "saturation_finding",
    "saturation_summary",
    "similar_spans",
    "span_text",
    "split_rows",
    "token_features",
    "top_predictions",
    "top_units",
    "units_on",
]
