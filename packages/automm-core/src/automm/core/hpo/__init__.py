"""Hyperparameter optimisation on Ray Tune (the ``automm-core[hpo]`` extra): search spaces, trials, the search."""
