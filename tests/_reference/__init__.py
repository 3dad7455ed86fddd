"""Reference implementations the tests compare fastmlp with, written in NumPy
independently of fastmlp's engine:

* ``network``: a plain NumPy MLP (forward pass, objective, back-propagation
  with inverted dropout), scikit-learn's initialisation, target encoding and
  mini-batch loop, fastmlp's dropout stream, written out, and central
  differences (the one numerical gradient of the tests);
* ``optimizers``: the stochastic optimizers' published update rules.

Imported as ``from _reference.network import NumpyMLP``: pytest puts tests/
on ``sys.path`` (tests/ is not a package), so ``_reference`` is found there.
"""
