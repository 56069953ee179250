"""Lecture 5: Optimizers, learning rates and generalization (notebooks 05a, 05b, 05c):
its studies, figures, apps and exercise checkers."""
