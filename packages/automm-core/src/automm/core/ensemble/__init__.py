"""Ensembles over network and training variants: the pool, Caruana selection, and the fit of the members."""
