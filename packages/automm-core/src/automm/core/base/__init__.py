"""automm.core.base: the torch-free half of automm-core.

Everything here imports only the standard library, numpy, pandas, Pillow and ``tokenizers``: the saved format's
prediction-time rules (cell reading, image, text, tabular, letterbox and prompt transforms), the decoders from
network outputs to answers, and the registry the torch predictor and the ONNX runtime (automm-deploy) share.
"""
