"""Lecture 4: Normalization (notebooks 04 and 04b):
its studies, figures, apps and exercise checkers."""
