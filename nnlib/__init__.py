"""nnlib: the helper package of the course *How neural networks are trained*.

Every technique the course teaches is written here from scratch, in code that reads like the
formula, and is tested against PyTorch's own implementation or a closed form.

Layers (see the design notes in the README):

* foundation: :mod:`nnlib.utils`, :mod:`nnlib.data`, :mod:`nnlib.models`, :mod:`nnlib.train`
* techniques, one module per concept: :mod:`nnlib.studies.cubic_fit` (lecture 0), ...
* presentation: :mod:`nnlib.viz`, :mod:`nnlib.widgets`, :mod:`nnlib.exercises`

Technique and foundation modules never import presentation modules.
"""

from nnlib.utils import DivergenceError, Timer, get_device, seed_everything

__version__ = "0.1.0"

__all__ = ["DivergenceError", "Timer", "__version__", "get_device", "seed_everything"]
