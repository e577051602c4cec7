"""Test helpers of automm-segment: composited segmentation data on disk."""
