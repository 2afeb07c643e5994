"""gcngan: temporal link prediction on weighted dynamic networks with GCN-GAN.

Lei, Qin, Bai, Zhang, Yang, "GCN-GAN: A Non-linear Temporal Link Prediction Model
for Weighted Dynamic Networks", IEEE INFOCOM 2019.
"""
__version__ = "0.1.0"

from gcngan.errors import (CheckpointError, ConfigError, GcnganError, InputError,  # noqa: E402
                           TrainingError)

__all__ = ["__version__", "GcnganError", "InputError", "ConfigError", "CheckpointError",
           "TrainingError"]
