"""nncourse: the course's own code, beside the library :mod:`nnlib`.

Everything here exists because *How neural networks are trained* is a course: the experiment
set-ups (studies), the figures, the interactive apps and their widgets, the exercise checkers and
the claims that back the prose. The techniques themselves live in :mod:`nnlib`; nncourse imports
them, and nnlib never imports nncourse.

Two layers (``tests/test_layering.py`` enforces them):

* **shared machinery**, used by every lecture:

  - :mod:`nncourse.evidence`: ``claim`` (a finding and its basis) and ``check`` (an identity);
  - :mod:`nncourse.stats`: t-intervals over seeds, paired differences, a one-sided t-test;
  - :mod:`nncourse.parallel`: independent runs (seeds, settings) on every core;
  - :mod:`nncourse.plotting`: the figure style sized for the book's column, figure recycling,
    contours, curves, histories; ``plotting.check`` lists what makes a figure hard to read;
  - :mod:`nncourse.widgets`: ``FigureApp`` (sliders bound to a pure figure function) and the
    kernel-free frames of the book;
  - :mod:`nncourse.apps`: the registry of every app (``lectureN.<app>``);
  - :mod:`nncourse.grading`: the exercise core (cases, misconceptions, ``check``).

* **one package per lecture**, :mod:`nncourse.lecture0`, :mod:`nncourse.lecture1`,
  :mod:`nncourse.lecture2`, :mod:`nncourse.lecture3`, :mod:`nncourse.lecture4`,
  :mod:`nncourse.lecture5`, :mod:`nncourse.lecture6` and :mod:`nncourse.lecture7`, each holding
  its studies (modules named for the experiment), ``figures`` (or ``*_figures``), ``apps`` and
  ``exercises`` (or ``*_exercises``). A lecture imports the shared machinery and nnlib, never
  another lecture.
"""
