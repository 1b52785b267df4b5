"""The Analyze page's parts: one file per tool (render_<tool>), shared parts in common.py."""
