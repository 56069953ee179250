"""Lecture 1: Convexity and gradient descent:
its studies, figures, apps and exercise checkers."""
