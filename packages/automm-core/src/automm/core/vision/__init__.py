"""The dense-vision layer shared by letterboxed tasks (automm-detect, automm-segment).

A letterboxed input is ``S x S``: the image resized so its longer side is ``S``, at the top-left corner,
zero-padded (``automm.core.data.letterbox``). This package holds what such tasks share, so each keeps only its
targets, losses, metrics and decoding:

* ``batch``: ``LetterboxBatch``, images plus the geometry that maps outputs back (``sizes``, ``valid``);
* ``processor``: ``LetterboxProcessor``, reading, augmenting (flip, scale jitter) and collating, with hooks for
  the task's target (boxes, masks);
* ``backends``: ``BackendOptions`` / ``VisionBackend`` / ``lazy_backends``, the backend registry of a task;
* ``network``: ``LetterboxNet`` and ``BackendSpec``, the network wrapper and its network.json;
* ``config``: ``VisionConfig``, the ``task`` section's image settings under the same names in every task;
* ``checks``: ``check_image_paths``.
"""
