"""Upload: bring your own model, never executing its code. Planned."""

from app.components.placeholder import render_planned_page

render_planned_page(
    "Upload",
    "📤",
    "Bring your own recurrent model and explore it like a shipped one. Weights are read as data "
    "and mapped onto lstm-viz's cells: no code in an uploaded file is ever executed.",
    [
        ("🛡️", "safetensors", "The safe default: plain tensors and a small config."),
        ("🔥", "PyTorch state dict", "Loaded with weights_only, so pickled code cannot run."),
        (
            "🧩",
            "ONNX and Keras",
            "LSTM weights read from the file's tensors, with the gate order converted.",
        ),
    ],
)
