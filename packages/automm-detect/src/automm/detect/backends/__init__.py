"""Detector backends: torchvision (default), transformers (RT-DETR, D-FINE) and mmdet, each registered by name."""
