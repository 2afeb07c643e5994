"""Neural modules: GCN encoder, temporal LSTM, decoders, generator and critic."""
from gcngan.nn.decoders import (DECODERS, Decoder, DenseDecoder, build_decoder, link_floor,
                                register_decoder)
from gcngan.nn.discriminator import Critic, build_critic
from gcngan.nn.encoders import ENCODERS, AdjacencyEncoder, build_encoder
from gcngan.nn.gcn import DenseGCNEncoder, DenseGCNLayer, dense_gcn_norm
from gcngan.nn.generator import (EmbeddingInput, FeatureInput, Generator, NoiseInput,
                                 NoNodeInput, build_generator, build_node_input)
from gcngan.nn.residual import ResidualDecoder  # registers "residual"
from gcngan.nn.temporal import TemporalLSTM

__all__ = [
    "DECODERS", "Decoder", "DenseDecoder", "build_decoder", "link_floor", "register_decoder",
    "ResidualDecoder",
    "Critic", "build_critic",
    "ENCODERS", "AdjacencyEncoder", "build_encoder",
    "DenseGCNEncoder", "DenseGCNLayer", "dense_gcn_norm",
    "EmbeddingInput", "FeatureInput", "Generator", "NoiseInput", "NoNodeInput", "build_generator",
    "build_node_input",
    "TemporalLSTM",
]
