"""Lecture 2: Non-convex surfaces and saddle points:
its studies, figures, apps and exercise checkers."""
