"""The COCOeval summary's metric names, apart from the torchmetrics metric that computes them (``metrics``), so that
plug-in discovery and a predictor's load do not import torchmetrics."""

# The standard COCOeval summary, named as AutoGluon-MM names them.
MAP_METRICS = ("map", "map_50", "map_75", "map_small", "map_medium", "map_large", "mar_1", "mar_10", "mar_100",
               "mar_small", "mar_medium", "mar_large")
