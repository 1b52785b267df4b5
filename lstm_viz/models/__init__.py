"""Models: the sequence model the app trains, its checkpoints on disk, and its vocabulary.

sequence.py     ModelConfig (a dataclass, a comment per field) and SequenceModel
checkpoints.py  checkpoint folders (model.safetensors, config.json, vocab.json), atomic saves
frames.py       FrameModelConfig and FrameModel: a ConvLSTM predicting the next frame
vocab.py        Vocab: tokens <-> ids, character or word level
"""

from lstm_viz.models.checkpoints import Checkpoint, load_checkpoint, save_checkpoint
from lstm_viz.models.frames import FrameModel, FrameModelConfig, is_frame_config
from lstm_viz.models.sequence import CELLS, PER_STEP, ModelConfig, SequenceModel
from lstm_viz.models.vocab import Vocab

__all__ = [
    "CELLS",
    "PER_STEP",
    "Checkpoint",
    "FrameModel",
    "FrameModelConfig",
    "ModelConfig",
    "SequenceModel",
    "Vocab",
    "is_frame_config",
    "load_checkpoint",
    "save_checkpoint",
]
