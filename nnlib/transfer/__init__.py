"""Transfer learning (lecture 7): a network pretrained offline on an invented alphabet of stroke
glyphs, and the tools to reuse it on scikit-learn's handwritten digits.

* :mod:`nnlib.transfer.source_task`: the 100-class glyph source task, generated deterministically;
* :mod:`nnlib.transfer.network`: the glyph network and its shipped weights;
* :mod:`nnlib.transfer.freezing`: block-wise tools (replace the head, freeze and unfreeze, frozen
  BN statistics, per-layer learning rates);
* :mod:`nnlib.transfer.features`: the codes a trained network computes, and its first filters;
* :mod:`nnlib.transfer.finetune`: few-label subsets, the four ways to use a pretrained network,
  and FitNets-style hint training;
* :mod:`nnlib.transfer.pretrain`: ``python -m nnlib.transfer.pretrain`` regenerates the weights.
"""

from nnlib.train import accuracy  # the one accuracy, re-exported for lecture 7
from nnlib.transfer.features import extract_features, orientation_tuning, strongest_patches
from nnlib.transfer.finetune import (
    few_shot_subset,
    fine_tune,
    hint_pretrain,
    linear_probe,
    permute_pixels,
    thin_cnn,
    train_classifier,
)
from nnlib.transfer.freezing import (
    freeze,
    freeze_bn_statistics,
    layer_names,
    layerwise_param_groups,
    replace_head,
    trainable_layers,
    unfreeze,
)
from nnlib.transfer.network import (
    BLOCKS,
    glyph_cnn,
    load_pretrained,
    pretrained_info,
    state_checksum,
)
from nnlib.transfer.source_task import glyph_alphabet, make_glyphs

__all__ = [
    "BLOCKS",
    "accuracy",
    "extract_features",
    "few_shot_subset",
    "fine_tune",
    "freeze",
    "freeze_bn_statistics",
    "glyph_alphabet",
    "glyph_cnn",
    "hint_pretrain",
    "layer_names",
    "layerwise_param_groups",
    "linear_probe",
    "load_pretrained",
    "make_glyphs",
    "orientation_tuning",
    "permute_pixels",
    "pretrained_info",
    "replace_head",
    "state_checksum",
    "strongest_patches",
    "thin_cnn",
    "train_classifier",
    "trainable_layers",
    "unfreeze",
]
