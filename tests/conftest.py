"""Shared fixtures: the real datasets in ``<repo>/../shared/datasets`` and tiny edge lists;
the ``slow`` marker of the tests listed in :data:`SLOW`."""
from __future__ import annotations

from pathlib import Path

import pytest
import torch

REPO = Path(__file__).resolve().parents[1]
SHARED_DATASETS = (REPO / ".." / "shared" / "datasets").resolve()

#: Node-id prefixes of the tests that take more than a few seconds each (measured with
#: ``python -m pytest --durations=60`` on 2 shared CPU cores): marked ``slow`` here, so
#: ``./scripts/test.sh -m "not slow"`` is a quick local run while ``./scripts/test.sh``
#: (and CI) still runs everything. Test files may also mark themselves (``pytestmark``).
SLOW = (
    "tests/test_readme.py::test_readme_python_api_example_runs",
    "tests/test_check.py::test_critic_separates_real_from_noise[wgan-gp]",
    "tests/test_check.py::test_training_check_passes_and_a_history_blind_generator_fails",
    "tests/test_io.py::test_predict_out_is_atomic",
    "tests/test_io.py::test_kill_9_during_a_checkpoint_save_keeps_the_previous_one",
    "tests/test_report.py::test_evaluate_text_ends_with_the_summary_of_its_own_numbers",
    "tests/cli/test_train_cli.py::test_mesh1_end_to_end",
    "tests/cli/test_train_cli.py::test_predict_scores_rank_candidate_links_as_evaluate_does",
    "tests/cli/test_train_cli.py::test_resume_without_improvement_keeps_the_best_epoch_quietly",
    "tests/cli/test_train_cli.py::test_shifted_negative_weights_are_predicted_in_their_own_units",
    "tests/cli/test_train_cli.py::test_predict_warns_when_the_prediction_holds_no_link",
    "tests/cli/test_train_cli.py::test_train_without_a_finite_validation_score_keeps_the_last",
    "tests/cli/test_train_cli.py::test_predict_evaluate_plot_refuse_another_window",
    "tests/cli/test_train_losses_cli.py::test_loss_variant_trains_one_epoch_on_mesh1",
    "tests/cli/test_train_cli.py::test_predict_refuses_other_data",
    "tests/cli/test_check_cli.py::test_check_mesh1_passes",
    "tests/cli/test_check_cli.py::test_check_json_all_pass",
    "tests/cli/test_plot_cli.py::test_plot_cli",
    "tests/cli/test_ranking_cli.py::test_model_is_ranked_on_the_same_candidates_as_score_gives",
    "tests/cli/test_train_reliability.py::test_cuda_out_of_memory_elsewhere_is_one_line",
    "tests/cli/test_train_reliability.py::test_sigint_then_resume_equals_uninterrupted_run",
    "tests/cli/test_train_reliability.py::test_sigterm_exits_143_with_last_checkpoint",
    "tests/cli/test_train_reliability.py::test_kill_9_leaves_the_previous_checkpoint_intact",
    "tests/cli/test_train_reliability.py::test_resume_allows_training_length_and_lr",
    "tests/cli/test_train_reliability.py::test_non_empty_out_refused_and_force_replaces",
    "tests/nn/test_sparse_pipeline.py::test_encoder_decoder_learn_and_critic_separates",
    "tests/data/test_fuzz_ingest.py::test_fuzzed_files_ingest_exactly_or_fail_with_one_line",
    "tests/train/test_checkpoint.py::test_checkpoint_keeps_the_hedge_delta",
    "tests/train/test_checkpoint.py::test_save_load_identical_predictions",
    "tests/train/test_trainer.py::test_interrupt_and_resume_is_identical",
    "tests/train/test_trainer.py::test_run_dir_files_log_and_best",
    "tests/train/test_trainer.py::test_fixed_seed_is_reproducible",
    "tests/scripts/test_bench_harness.py::test_online_protocol_and_speed",
    "tests/scripts/test_bench_harness.py::test_backtest_cuts_the_end_and_matches_a_shorter",
    "tests/cli/test_sparse_predict_cli.py::test_train_says_its_path_once",
    "tests/cli/test_sparse_predict_cli.py::test_sigint_during_sparse_training",
    "tests/test_candidates.py::test_sparse_forecast_at_20000_nodes",
    "tests/scripts/test_bench_sparse_weighted.py::test_sparse_record_has_the_weighted_metrics",
)


def pytest_collection_modifyitems(config, items) -> None:
    """Add the ``slow`` marker to every test whose node id starts with one of :data:`SLOW`."""
    for item in items:
        if item.nodeid.startswith(SLOW):
            item.add_marker(pytest.mark.slow)


@pytest.fixture(scope="session")
def shared_datasets() -> Path:
    """``<repo>/../shared/datasets``; tests using it are skipped when it is absent."""
    if not SHARED_DATASETS.is_dir():
        pytest.skip(f"real datasets not found at {SHARED_DATASETS}")
    return SHARED_DATASETS


@pytest.fixture
def shared_file(shared_datasets):
    """``shared_file("mesh1/mesh1.csv")``: a path in the shared datasets, or skip."""
    def get(rel: str) -> Path:
        path = shared_datasets / rel
        if not path.exists():
            pytest.skip(f"{path} not found")
        return path
    return get


@pytest.fixture
def write(tmp_path):
    """``write("name.csv", "text")`` -> path of a new file under ``tmp_path``."""
    def _write(name: str, text: str) -> Path:
        path = tmp_path / name
        path.parent.mkdir(parents=True, exist_ok=True)
        path.write_text(text, encoding="utf-8")
        return path
    return _write


@pytest.fixture
def tiny_adj() -> torch.Tensor:
    """Seeded random weights, shape (T=12, N=8, N), ~30% links, zero diagonal."""
    g = torch.Generator().manual_seed(0)
    adj = torch.rand(12, 8, 8, generator=g) * 100
    adj = adj * (torch.rand(12, 8, 8, generator=g) < 0.3)
    adj[:, torch.arange(8), torch.arange(8)] = 0
    return adj.round()


@pytest.fixture
def tiny_csv(write):
    """A 4-node, 3-snapshot undirected long CSV (both directions listed)."""
    return write("tiny.csv",
                 "t,src,dst,weight\n"
                 "0,0,1,2.5\n0,1,0,2.5\n0,2,3,1\n0,3,2,1\n"
                 "1,0,2,4\n1,2,0,4\n"
                 "2,1,3,8\n2,3,1,8\n")


def write_string_id_graph(path: Path, n: int = 6, prefix: str = "n", seed: int = 0) -> Path:
    """Write ``n`` nodes (string ids ``{prefix}0..``), 20 snapshots, undirected, integer
    weights < 50, as a long CSV small enough to train on in seconds."""
    import numpy as np
    import pandas as pd

    g = torch.Generator().manual_seed(seed)
    T = 20
    adj = torch.rand(T, n, n, generator=g) * 50 * (torch.rand(T, n, n, generator=g) < 0.5)
    adj = torch.triu(adj, 1)
    adj = (adj + adj.transpose(1, 2)).round()
    t, i, j = adj.nonzero(as_tuple=True)
    ids = np.array([f"{prefix}{k}" for k in range(n)])
    pd.DataFrame({"t": t.numpy(), "src": ids[i.numpy()], "dst": ids[j.numpy()],
                  "weight": adj[t, i, j].numpy()}).to_csv(path, index=False)
    return path


@pytest.fixture(scope="session")
def string_id_graph_csv(tmp_path_factory) -> Path:
    """6 nodes, 20 snapshots, undirected (see :func:`write_string_id_graph`)."""
    return write_string_id_graph(tmp_path_factory.mktemp("data") / "tiny.csv")


@pytest.fixture(scope="session")
def graph_csv_writer():
    """:func:`write_string_id_graph`, for tests that need variants (other N, ids, seed)."""
    return write_string_id_graph
