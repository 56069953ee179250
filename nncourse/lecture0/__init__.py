"""Lecture 0: From hand-written gradients to torch.optim:
its studies, figures, apps and exercise checkers."""
