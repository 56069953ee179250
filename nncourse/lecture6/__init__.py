"""Lecture 6: Regularization:
its studies, figures, apps and exercise checkers."""
