"""Configuration (gcngan/config.py): presets, ``--set`` overrides, YAML/JSON files, the dict
round trip and validation errors that name the field and the value.

The tests read field names and preset contents from the module itself, so fields added
later are covered without editing this file.
"""
import dataclasses
import json

import pytest

from gcngan import config as C
from gcngan.config import (PRESETS, SECTIONS, ConfigError, DataConfig, ExperimentConfig,
                           ModelConfig, TrainConfig, build_config, diff_configs,
                           load_config_file, merge_dict, parse_overrides)
from gcngan.errors import GcnganError


def section_values(cfg: ExperimentConfig, section: str) -> dict:
    return dataclasses.asdict(getattr(cfg, section))


# ----------------------------------------------------------------------------- presets
@pytest.mark.parametrize("preset", sorted(PRESETS))
def test_every_preset_applies_its_values_and_validates(preset):
    cfg = build_config(preset)
    assert isinstance(cfg, ExperimentConfig)
    assert PRESETS[preset], "a preset that changes nothing"
    for section, values in PRESETS[preset].items():
        got = section_values(cfg, section)
        for key, value in values.items():
            assert got[key] == value, f"{preset}: {section}.{key}"
    # fields the preset does not name keep the dataclass defaults
    plain = ExperimentConfig()
    for section in SECTIONS:
        named = PRESETS[preset].get(section, {})
        for key, value in section_values(plain, section).items():
            if key not in named:
                assert section_values(cfg, section)[key] == value, f"{section}.{key}"


def test_presets_differ_and_default_is_the_sparse_preset():
    # issue 15: ``default`` is an alias of ``sparse`` (one definition), not a third dict
    assert C.PRESET_ALIASES == {"default": "sparse"} and "default" not in PRESETS
    assert build_config() == build_config("default") == build_config("sparse")
    assert build_config().model.family == "sparse"
    assert build_config("dense").model.family == "dense"
    assert build_config("dense").model.decoder == "residual"    # the default before issue 15
    assert len({str(build_config(p)) for p in ("paper", "dense", "sparse")}) == 3
    assert set(C.PRESET_NAMES) == {"paper", "dense", "sparse", "default"}


def test_a_stored_config_is_not_re_resolved_through_the_alias():
    """A run made under the old ``default`` (the dense model) stores its full config; with
    ``preset=None`` (``--resume``, ``predict``) it stays the dense model."""
    stored = build_config("dense")
    assert build_config(None, base=stored) == stored
    assert build_config(None, base=stored, overrides=["epochs=3"]).model == stored.model


def test_unknown_preset_lists_the_valid_ones():
    with pytest.raises(ConfigError, match=r"unknown preset 'papr'; valid: .*paper"):
        build_config("papr")


# ----------------------------------------------------------------------------- overrides
def test_set_with_and_without_section():
    assert parse_overrides(["train.lr=1e-3", "window=7", " epochs = 3"]) == {
        "train": {"lr": "1e-3", "epochs": " 3"}, "data": {"window": "7"}}
    cfg = build_config("paper", overrides=["train.lr=1e-3", "window=7", "epochs=3"])
    assert cfg.train.lr == 1e-3 and isinstance(cfg.train.lr, float)
    assert cfg.data.window == 7 and isinstance(cfg.data.window, int)
    assert cfg.train.epochs == 3
    assert build_config("paper", overrides=["data.test=0"]).data.test == 0


def test_set_value_with_equals_sign_keeps_the_rest():
    assert parse_overrides(["data.src_col=a=b"]) == {"data": {"src_col": "a=b"}}
    assert build_config(overrides=["data.src_col=a=b"]).data.src_col == "a=b"


@pytest.mark.parametrize("text, expected", [
    ("true", True), ("ON", True), ("1", True), ("yes", True),
    ("false", False), ("off", False), ("0", False), ("No", False),
])
def test_set_booleans(text, expected):
    assert build_config(overrides=[f"train.tensorboard={text}"]).train.tensorboard is expected


def test_set_optional_none_lists_and_choices():
    cfg = build_config(overrides=["train.critic_lr=None", "data.directed=true",
                                  "model.gcn_channels=[8, 4]", "model.critic_hidden=16,8",
                                  "data.self_loops=drop", "data.max_threshold=null"])
    assert cfg.train.critic_lr is None and cfg.data.max_threshold is None
    assert cfg.data.directed is True
    assert cfg.model.gcn_channels == [8, 4] and cfg.model.critic_hidden == [16, 8]
    assert cfg.data.self_loops == "drop"


@pytest.mark.parametrize("item, message", [
    ("train.epochs=many", r"train\.epochs='many' is not an integer"),
    ("train.lr=fast", r"train\.lr='fast' is not a number"),
    ("train.tensorboard=perhaps", r"train\.tensorboard='perhaps' is not a boolean"),
    ("model.gcn_channels=8,x", r"model\.gcn_channels='8,x' is not a list of integers"),
    ("train.nonsense=1", r"unknown config key train\.nonsense; valid keys: .*epochs"),
    ("nonsense=1", r"--set nonsense: unknown key"),
    ("optim.lr=1", r"--set optim\.lr: unknown section 'optim'; valid: data, model, train"),
    ("train.lr", r"--set 'train\.lr': expected key=value"),
])
def test_bad_overrides_name_key_and_value(item, message):
    with pytest.raises(ConfigError, match=message):
        build_config(overrides=[item])


def test_key_in_two_sections_must_be_prefixed(monkeypatch):
    @dataclasses.dataclass
    class Extra:
        lr: float = 0.1

    monkeypatch.setitem(SECTIONS, "extra", Extra)
    with pytest.raises(ConfigError, match=r"--set lr: ambiguous, prefix it with one of "
                                          r"\['train', 'extra'\]"):
        parse_overrides(["lr=1"])
    assert parse_overrides(["extra.lr=1"]) == {"extra": {"lr": "1"}}


def test_every_unambiguous_field_can_be_set_without_its_section():
    owners: dict = {}
    for section, klass in SECTIONS.items():
        for f in dataclasses.fields(klass):
            owners.setdefault(f.name, []).append(section)
    for name, where in owners.items():
        if len(where) == 1:
            assert parse_overrides([f"{name}=x"]) == {where[0]: {name: "x"}}


# ----------------------------------------------------------------------------- order
def test_merge_order_preset_file_flags_set(write):
    path = write("cfg.yaml", "train:\n  epochs: 5\n  lr: 0.002\ndata:\n  window: 4\n")
    cfg = build_config("paper", config_file=str(path))
    assert (cfg.train.epochs, cfg.train.lr, cfg.data.window) == (5, 0.002, 4)
    assert cfg.model.lstm_hidden == PRESETS["paper"]["model"]["lstm_hidden"]   # from preset
    cfg = build_config("paper", config_file=str(path), train={"epochs": 6, "lr": None},
                       data={})
    assert (cfg.train.epochs, cfg.train.lr) == (6, 0.002)      # None flags change nothing
    cfg = build_config("paper", config_file=str(path), train={"epochs": 6},
                       overrides=["epochs=7"])
    assert cfg.train.epochs == 7


# ----------------------------------------------------------------------------- files
def test_yaml_and_json_files_agree(write):
    y = write("a.yml", "model:\n  gcn_channels: [8, 8]\n  dropout: 0\ntrain:\n  alpha: 2\n")
    j = write("a.json", json.dumps({"model": {"gcn_channels": [8, 8], "dropout": 0},
                                    "train": {"alpha": 2}}))
    assert load_config_file(y) == load_config_file(j)
    cy, cj = build_config(config_file=str(y)), build_config(config_file=str(j))
    assert cy == cj
    assert cy.model.gcn_channels == [8, 8]
    assert cy.train.alpha == 2.0 and isinstance(cy.train.alpha, float)   # int -> float field
    assert isinstance(cy.model.dropout, float)


def test_empty_file_is_the_preset(write):
    assert load_config_file(write("empty.yaml", "")) == {}
    assert build_config("paper", config_file=str(write("e.yaml", "# nothing\n"))) == \
        build_config("paper")


@pytest.mark.parametrize("name, text, message", [
    ("bad.yaml", "train: [unclosed\n", r"bad\.yaml: not valid YAML/JSON"),
    ("bad.json", "{\"train\": }", r"bad\.json: not valid YAML/JSON"),
    ("list.yaml", "- 1\n- 2\n", r"config must be a mapping of sections, got list"),
    ("sec.yaml", "train: 3\n", r"config section 'train' must be a mapping"),
    ("key.yaml", "train:\n  epoch: 3\n", r"unknown config key train\.epoch; valid keys: "),
    ("top.yaml", "optimiser:\n  lr: 1\n", r"unknown config section\(s\) optimiser; valid: "),
    ("val.yaml", "data:\n  window: 0\n", r"data\.window=0 must be > 0"),
])
def test_bad_files_are_one_config_error(write, name, text, message):
    path = write(name, text)
    with pytest.raises(ConfigError, match=message):
        build_config(config_file=str(path))


def test_missing_file_names_the_path(tmp_path):
    with pytest.raises(ConfigError, match=r"nope\.yaml: cannot read config file"):
        build_config(config_file=str(tmp_path / "nope.yaml"))


# ----------------------------------------------------------------------------- dicts
@pytest.mark.parametrize("preset", sorted(PRESETS))
def test_dict_and_json_round_trip(preset):
    cfg = build_config(preset, overrides=["train.critic_lr=None", "data.self_loops=drop"])
    d = cfg.to_dict()
    assert set(d) == set(SECTIONS)
    assert ExperimentConfig.from_dict(d) == cfg
    assert ExperimentConfig.from_dict(json.loads(json.dumps(d))) == cfg   # checkpoint path
    d["train"]["epochs"] = 99                                             # a copy, not a view
    assert cfg.train.epochs != 99


def test_from_dict_partial_and_empty():
    assert ExperimentConfig.from_dict({}) == ExperimentConfig()
    assert ExperimentConfig.from_dict(None) == ExperimentConfig()
    cfg = ExperimentConfig.from_dict({"train": {"epochs": 3}})
    assert cfg.train.epochs == 3 and cfg.model == ModelConfig() and cfg.data == DataConfig()
    with pytest.raises(ConfigError, match="unknown config key model.hidden"):
        ExperimentConfig.from_dict({"model": {"hidden": 3}})


def test_stored_configs_from_before_time_units_read_event_times_as_seconds():
    """A run stored before ``data.time_unit`` existed read numeric event times as seconds
    (its stored granularity is in those units): it keeps reading them so; a stored unit is
    kept, and a config without a data section is not a stored run's."""
    assert ExperimentConfig.from_dict({"data": {"granularity": "365d"}}).data.time_unit == "s"
    assert ExperimentConfig.from_dict({"data": {"time_unit": "ms"}}).data.time_unit == "ms"
    assert ExperimentConfig.from_dict({"data": {"time_unit": None}}).data.time_unit is None
    assert ExperimentConfig.from_dict({"train": {"epochs": 3}}).data.time_unit is None


def test_merge_dict_returns_a_new_config():
    base = ExperimentConfig()
    out = merge_dict(base, {"train": {"epochs": 2}})
    assert out.train.epochs == 2 and out is not base
    assert base == ExperimentConfig()                                     # not modified


def test_diff_configs_lists_changed_keys_of_the_given_sections():
    a = build_config("paper").to_dict()
    b = build_config("paper", overrides=["data.window=3", "train.epochs=1"]).to_dict()
    assert diff_configs(a, b) == [f"data.window: {a['data']['window']!r} -> 3"]
    assert f"train.epochs: {a['train']['epochs']!r} -> 1" in diff_configs(a, b, ("train",))
    assert diff_configs(a, a) == []


# ----------------------------------------------------------------------------- validation
@pytest.mark.parametrize("key, value, problem", [
    ("data.window", 0, "must be > 0"),
    ("data.val", -1, "must be >= 0"),
    ("data.top_k", 0, "must be > 0"),
    ("data.self_loops", "maybe", "is not one of keep, drop"),
    ("data.scale", "sqrt", "is not one of"),
    ("data.format", "parquet", "is not one of"),
    ("model.encoder", "gat", "is not one of"),
    ("model.dropout", 1.0, "must be in [0, 1)"),
    ("model.lstm_hidden", 0, "must be > 0"),
    ("model.node_noise", -0.1, "must be >= 0"),
    ("train.loss", "hinge", "is not one of"),
    ("train.lr", 0.0, "must be > 0"),
    ("train.epsilon", -1.0, "must be >= 0"),
    ("train.negative_pool", -1, "must be >= 0"),
    ("train.uniform_from", "items", "is not one of all, destinations, both"),
    ("train.queries_by", "nodes", "is not one of links, sources"),
    ("train.label_smoothing", 0.5, "must be in [0, 0.5)"),
    ("train.device", "tpu", "is not one of"),
])
def test_invalid_values_name_the_field_and_value(key, value, problem):
    section, name = key.split(".")
    for make in (lambda: build_config(overrides=[f"{key}={value}"]),
                 lambda: merge_dict(ExperimentConfig(), {section: {name: value}}),
                 lambda: SECTIONS[section](**{name: value})):
        with pytest.raises(ConfigError) as info:
            make()
        err = info.value
        assert (err.key, err.value) == (key, value) and err.problem.startswith(problem)
        assert str(err) == f"{key}={value!r} {err.problem}"


def test_cross_field_and_list_rules():
    with pytest.raises(ConfigError, match=r"model\.decoder='residual' needs per-node states"):
        build_config("paper", overrides=["model.decoder=residual", "model.temporal=graph"])
    with pytest.raises(ConfigError, match=r"model\.gcn_channels must list at least one"):
        build_config(overrides=["model.gcn_channels=[]"])
    assert build_config("paper", overrides=["model.decoder=residual",
                                            "model.temporal=node"]).model.decoder == "residual"


def test_config_error_is_a_user_error_with_exit_status_2():
    with pytest.raises(ConfigError) as info:
        TrainConfig(epochs=0)
    assert isinstance(info.value, GcnganError) and isinstance(info.value, ValueError)
    assert info.value.exit_code == 2


def test_replace_revalidates():
    cfg = DataConfig()
    assert C.replace(cfg, window=3).window == 3
    with pytest.raises(ConfigError, match=r"data\.window=-3 must be > 0"):
        C.replace(cfg, window=-3)
