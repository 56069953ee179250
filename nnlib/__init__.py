"""nnlib: the helper package of the course *How neural networks are trained*.

Every technique the course teaches is written here from scratch, in code that reads like the
formula, and is tested against PyTorch's own implementation or a closed form. The maths of each
rule is one tensor function (``nnlib.optim.adam_update``, ``nnlib.norm.batch_norm``, ...);
classes keep state and call it.

Module map, two layers. A module imports only its own layer and the layer above it in this list,
and nothing of the course package ``nncourse`` (``tests/test_layering.py`` reads every import with
``ast`` and enforces both):

* **foundation**

  - :mod:`nnlib.utils`: seeding (``seed_everything``, ``replicated_seed``), device choice,
    timers, argument checks;
  - :mod:`nnlib.params`: the one parameter flattener (trainable parameters as one vector);
  - :mod:`nnlib.data`: offline datasets and loaders;
  - :mod:`nnlib.models`: MLP and small-CNN builders, many MLPs stacked (``StackedModels``);
  - :mod:`nnlib.losses`: output losses written out, the one cross-entropy (label smoothing);
  - :mod:`nnlib.train`: the one training loop (``train_steps``) with callbacks, ``fit``,
    ``fit_steps``, ``fit_batched``, ``evaluate``, the one ``accuracy``.

* **techniques**, one concept each

  - :mod:`nnlib.analytic_surfaces`: closed-form test functions (Rosenbrock, quadratics, ...);
  - :mod:`nnlib.convexity`: convexity checks on sampled points (lecture 1);
  - :mod:`nnlib.curvature`: Hessians, Hessian-vector products, spectra (lectures 1, 2);
  - :mod:`nnlib.loss_slices`: 1-D and 2-D slices of a real network's loss (lecture 2);
  - :mod:`nnlib.activations`: activation functions and their derivatives (lecture 2);
  - :mod:`nnlib.init`: weight initialization (lecture 3);
  - :mod:`nnlib.layer_stats`: per-layer activation and gradient statistics (lecture 3);
  - :mod:`nnlib.clipping`: gradient clipping (lecture 3);
  - :mod:`nnlib.norm`: batch, layer, group, instance and weight normalization (lecture 4);
  - :mod:`nnlib.preprocessing`: standardizing, PCA and ZCA whitening (lecture 4);
  - :mod:`nnlib.optim`: optimizers, line searches, Newton, trajectories (lectures 1, 5a);
  - :mod:`nnlib.schedules`: learning-rate schedules and the LR range test (lecture 5b);
  - :mod:`nnlib.regularization`: penalties, dropout, label smoothing, mixup, augmentation,
    averaging (lecture 6);
  - :mod:`nnlib.transfer`: the pretrained glyph network, freezing, features (lecture 7).

The course's own code (experiment set-ups, figures, widgets, exercises, claims) is the package
:mod:`nncourse`, which imports nnlib.
"""

from nnlib.utils import DivergenceError, Timer, get_device, seed_everything

__version__ = "0.1.0"

__all__ = ["DivergenceError", "Timer", "__version__", "get_device", "seed_everything"]
