"""gcngan: temporal link prediction on weighted dynamic networks with GCN-GAN.

Lei, Qin, Bai, Zhang, Yang, "GCN-GAN: A Non-linear Temporal Link Prediction Model
for Weighted Dynamic Networks", IEEE INFOCOM 2019.
"""
__version__ = "0.1.0"

from gcngan.errors import (CheckpointError, ConfigError, GcnganError, InputError,  # noqa: E402
                           TrainingError)

#: Public functions imported on first use (``import gcngan`` stays free of torch).
_LAZY = {
    "predict_sparse": "gcngan.predict",       # a sparse run's predicted edge lists
    "load_sparse_run": "gcngan.predict",      # checkpoint + data of a run
    "candidate_pairs": "gcngan.candidates",   # the pairs a sparse model is asked about
}

__all__ = ["__version__", "GcnganError", "InputError", "ConfigError", "CheckpointError",
           "TrainingError", *_LAZY]


def __getattr__(name: str):
    if name in _LAZY:
        import importlib

        return getattr(importlib.import_module(_LAZY[name]), name)
    raise AttributeError(f"module 'gcngan' has no attribute {name!r}")
