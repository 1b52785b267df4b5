"""Train: small models on CPU or GPU with live curves. Planned."""

from app.components.placeholder import render_planned_page

render_planned_page(
    "Train",
    "🏋️",
    "Train a small recurrent model on a bundled corpus or a synthetic task, on the CPU or a GPU, "
    "and watch it learn. Models you train appear in the sidebar's model picker.",
    [
        (
            "📚",
            "Tasks and corpora",
            "Character-level text, counting, bracket matching: tasks "
            "whose hidden variable is known, so you can look for it.",
        ),
        (
            "📈",
            "Live curves",
            "Loss and accuracy drawn while training runs; stop at any time "
            "and keep what was learned.",
        ),
        (
            "💾",
            "Saved to disk",
            "Each model is stored as safetensors plus a config.json in the models folder.",
        ),
    ],
)
