"""The README's Python API example runs as written (on the embedded dataset, 1 epoch)."""
from __future__ import annotations

import re
from pathlib import Path

import torch

ROOT = Path(__file__).resolve().parents[1]


def test_readme_python_api_example_runs(tmp_path, monkeypatch, capsys):
    text = (ROOT / "README.md").read_text()
    section = text.split("## Python API", 1)[1]
    code = re.search(r"```python\n(.*?)```", section, re.S).group(1)
    assert "../shared/datasets/mesh1/mesh1.csv" in code and "epochs=30" in code
    code = code.replace("../shared/datasets/mesh1/mesh1.csv",
                        str(ROOT / "datasets" / "synthetic_mesh.csv"))
    code = code.replace("epochs=30", "epochs=1")
    monkeypatch.chdir(tmp_path)
    scope: dict = {}
    exec(compile(code, "README.md", "exec"), scope)                   # noqa: S102
    pred, target, links = scope["pred"], scope["target"], scope["links"]
    assert pred.shape == target.shape == links.shape and pred.shape[0] == len(scope["test"])
    assert float(links.min()) >= 0 and float(links.max()) <= 1 and torch.isfinite(pred).all()
    want = [float(links[0, 0, 1]), float(links[0, 1, 2])]       # the pairs' dense link scores
    assert torch.allclose(torch.as_tensor(scope["scores"]), torch.tensor(want, dtype=torch.float64),
                          atol=1e-6)
    assert scope["weights"].shape == (2,)
    assert (tmp_path / "runs" / "mesh1" / "best.pt").is_file()
