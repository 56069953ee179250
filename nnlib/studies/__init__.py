"""Experiment set-ups: the data, model and training recipe of each study a lecture runs.

A study is not a technique (it lives neither in a technique module nor in viz): it combines
foundation pieces (``data``, ``models``, ``train``) with the technique under study, so that a
notebook cell reads ``result = studies.<topic>.run(...)``. Import the submodules directly; this
package re-exports nothing.
"""
