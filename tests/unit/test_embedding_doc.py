"""docs/embedding.md is runnable: its python blocks execute, in order, in one namespace."""

from __future__ import annotations

import re
from pathlib import Path

DOC = Path(__file__).resolve().parents[2] / "docs" / "embedding.md"


def test_every_python_block_of_the_embedding_guide_runs(capsys):
    blocks = re.findall(r"```python\n(.*?)```", DOC.read_text(), flags=re.DOTALL)
    assert len(blocks) >= 5
    namespace: dict[str, object] = {"__name__": "embedding_doc"}
    for number, block in enumerate(blocks, start=1):
        exec(compile(block, f"{DOC.name} block {number}", "exec"), namespace)
    printed = capsys.readouterr().out
    assert "Family.postcode: must be exactly 4 digits" in printed
    assert "cannot complete from status 'enrolled'" in printed
    assert "['pending_payment', 'enrolled']" in printed
