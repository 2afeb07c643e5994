"""scripts/bench_ranking.py on Enron with few queries: the fragment, its JSON and the
negatives file agree."""
import hashlib
import importlib.util
import json
from pathlib import Path


SCRIPT = Path(__file__).resolve().parents[2] / "scripts" / "bench_ranking.py"


def load_script():
    spec = importlib.util.spec_from_file_location("bench_ranking", SCRIPT)
    mod = importlib.util.module_from_spec(spec)
    spec.loader.exec_module(mod)
    return mod


def test_bench_ranking_enron(shared_datasets, tmp_path, capsys):
    mod = load_script()
    out = tmp_path / "docs" / "ranking.md"
    rc = mod.main(["--out", str(out), "--datasets", "enron184", "--root", str(shared_datasets),
                   "--q", "10", "--max-queries", "30", "--negatives-dir", str(tmp_path)])
    assert rc == 0
    report = json.loads(out.with_suffix(".json").read_text())
    (d,) = report["datasets"]
    assert d["targets"] == [21, 22, 23, 24, 25] and d["queries"] == 150
    neg = tmp_path / "enron184-negatives.csv"
    assert d["sha256"] == hashlib.sha256(neg.read_bytes()).hexdigest()
    text = out.read_text()
    assert text == mod.render(report)
    rows = [line for line in text.splitlines() if line.startswith("| ") and "predictor" not in line]
    assert len(rows) == len(d["predictors"]) == 13
    best = d["best"]["mrr"][0]
    assert any(line.startswith(f"| {best} | **") for line in rows)
    fit = d["fitted"]["stacked-heuristics"]             # fitted before the test targets only
    assert fit["targets"][1] < 21 and fit["queries"] > 0
    mrr = {p: r["all"]["mrr"] for p, r in d["predictors"].items()}
    heur = max((v, p) for p, v in mrr.items() if p != "stacked-heuristics")
    (line,) = [x for x in text.splitlines() if x.startswith("**Verdict:**")]
    assert f"best single heuristic {heur[1]} ({heur[0]:.3f})" in line
    assert f"stacked-heuristics {mrr['stacked-heuristics']:.3f}" in line


def test_unknown_dataset_is_refused(tmp_path, capsys):
    mod = load_script()
    assert mod.main(["--out", str(tmp_path / "x.md"), "--datasets", "nope"]) == 2
    assert "unknown dataset" in capsys.readouterr().err
    assert not (tmp_path / "x.md").exists()
