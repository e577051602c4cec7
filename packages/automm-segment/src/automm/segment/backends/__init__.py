"""Segmenter backends: segmentation-models-pytorch decoders on timm encoders, and Segment Anything."""
