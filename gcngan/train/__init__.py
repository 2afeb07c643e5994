"""Training: losses, the trainer (the only loop) and checkpoints."""
from gcngan.train.checkpoint import (FORMAT_VERSION, check_data_matches, load_checkpoint,
                                     save_checkpoint)
from gcngan.train.losses import (LOSSES, LossSpec, bce_critic_loss, bce_generator_loss,
                                 get_loss, gradient_penalty, reconstruction_loss,
                                 wgan_critic_loss, wgan_generator_loss)
from gcngan.train.runtime import resolve_device, seed_everything
from gcngan.train.trainer import Trainer, TrainingInterrupted

__all__ = [
    "FORMAT_VERSION", "check_data_matches", "load_checkpoint", "save_checkpoint",
    "LOSSES", "LossSpec", "bce_critic_loss", "bce_generator_loss", "get_loss",
    "gradient_penalty", "reconstruction_loss", "wgan_critic_loss", "wgan_generator_loss",
    "Trainer", "TrainingInterrupted", "resolve_device", "seed_everything",
]
