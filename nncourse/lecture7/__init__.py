"""Lecture 7: Transfer learning (notebooks 07 and 07b):
its studies, figures, apps and exercise checkers."""
