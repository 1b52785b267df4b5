"""Figures: plotly/altair builders and exports from a Trace. No st.* calls.

heatmap.py      heatmaps of a quantity [unit x step], colour scales
ordering.py     unit orderings (mean, variance, saturation, clustered)
unit.py         one unit over time (lines) and the text coloured by it
step.py         one step of one unit: the cell diagram, equations and sentences
predictions.py  top-k next-token predictions
compare.py      two recordings side by side and their difference
export.py       a Trace as npz / parquet / csv bytes
notebook.py     show(): the app's figures for notebooks; the Trace's _repr_html_
agreement.py    a number unit's cell state over the sentence, four conditions (Lakretz et al.)
causal.py       the gate pre-activation split (stacked bars) and state trajectories (PCA)
"""
