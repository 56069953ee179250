"""Lecture 3: Weight initialization:
its studies, figures, apps and exercise checkers."""
