"""Transfer learning (lecture 7): a network pretrained offline on an invented alphabet of stroke
glyphs, and the tools to reuse it on scikit-learn's handwritten digits.

* :mod:`nnlib.transfer.source_task`: the 100-class glyph source task, generated deterministically;
* :mod:`nnlib.transfer.layers`: the network, its shipped weights, and layer-wise tools (replace
  the head, freeze and unfreeze, frozen BN statistics, per-layer learning rates, features);
* :mod:`nnlib.transfer.finetune`: few-label subsets, the four ways to use a pretrained network,
  and FitNets-style hint training;
* :mod:`nnlib.transfer.pretrain`: ``python -m nnlib.transfer.pretrain`` regenerates the weights.
"""

from nnlib.transfer.finetune import (
    METHODS,
    accuracy,
    compare_methods,
    few_shot_subset,
    fine_tune,
    hint_pretrain,
    linear_probe,
    permute_pixels,
    results_table,
    thin_cnn,
    train_classifier,
)
from nnlib.transfer.layers import (
    BLOCKS,
    extract_features,
    freeze,
    freeze_bn_statistics,
    glyph_cnn,
    layer_names,
    layerwise_param_groups,
    load_pretrained,
    orientation_tuning,
    pretrained_info,
    replace_head,
    state_checksum,
    strongest_patches,
    trainable_layers,
    unfreeze,
)
from nnlib.transfer.source_task import glyph_alphabet, make_glyphs

__all__ = [
    "BLOCKS",
    "METHODS",
    "accuracy",
    "compare_methods",
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
    "results_table",
    "state_checksum",
    "strongest_patches",
    "thin_cnn",
    "train_classifier",
    "trainable_layers",
    "unfreeze",
]
