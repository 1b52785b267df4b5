"""The Explore page's parts: the input, the controls, and one file per view."""
