"""The Train page's parts: settings, the run, progress and curves, the trained models."""
