"""Reusable render_* helpers shared by the pages. Every helper takes a key for its widgets."""
