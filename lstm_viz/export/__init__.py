"""Taking recordings elsewhere: a self-contained HTML page, LSTMVis project folders, and Parquet
corpus stores queried with DuckDB. No streamlit here.

html.py      export_html(): one offline HTML file with every heatmap and a working unit view
lstmvis.py   write_lstmvis() / read_lstmvis(): LSTMVis's project layout, both ways
store.py     record_corpus_store() / query_store(): corpora beyond memory (Parquet + DuckDB)
text.py      record_text(): a checkpoint reads a text (used by all of the above)
cli.py       python -m lstm_viz export-html | export-lstmvis | record-corpus | query
"""

from lstm_viz.export.text import ExportError, record_text

__all__ = ["ExportError", "record_text"]
