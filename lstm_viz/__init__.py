"""lstm-viz: record and look inside recurrent networks, step by step.

The public API is re-exported here; implementation lives in private modules.
This package never imports streamlit (a test asserts it): app/ calls lstm_viz, never the reverse.
"""

__version__ = "0.1.0"
