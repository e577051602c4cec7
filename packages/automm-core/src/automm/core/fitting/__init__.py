"""The fitting layer: every fit mode as functions of explicit inputs (settings, state, rows, deadline, options).

``settings`` holds what a predictor is made of and how a fit is asked for (``PredictorSettings``, ``FitRows``,
``FitOptions``); ``start`` builds a new, untrained state; ``fitter`` runs a first, continued, resumed, distilled,
ensemble or direct fit and saves the result. ``MultiModalPredictor``, hyperparameter-search trials and
distillation call these, never each other's private methods.
"""
