"""Hostile model files for ``schemas diff --from/--to``: each is exit status 2 with a message naming the file
and the rule (a budget, a field), fast; never a traceback, a hang or hundreds of MB read."""

from __future__ import annotations

import gzip
import json
import os
import zipfile
from pathlib import Path
from typing import Any

import pytest

from pytest_connect_email import cli, limits
from pytest_connect_email.contracts import spec

from .conftest import bounded

SMALL: dict[str, Any] = {
    "metadata": {"protocol": "rest-json", "apiVersion": "2017-08-08", "serviceId": "Connect"},
    "operations": {
        "ListInstances": {
            "name": "ListInstances",
            "http": {"method": "GET", "requestUri": "/instance"},
            "input": {"shape": "ListInstancesRequest"},
        }
    },
    "shapes": {
        "ListInstancesRequest": {"type": "structure", "members": {"NextToken": {"shape": "Token"}}},
        "Token": {"type": "string"},
    },
}


def diff(tmp_path: Path, source: Path, capsys: pytest.CaptureFixture[str]) -> str:
    """Run ``schemas diff --from source --to source``; assert exit status 2 and return its error text."""
    good = tmp_path / "good" / "service-2.json"
    good.parent.mkdir(exist_ok=True)
    good.write_text(json.dumps(SMALL), encoding="utf-8")
    with bounded():
        status = cli.main(["schemas", "diff", "--from", str(good), "--to", str(source)])
    err = capsys.readouterr().err
    assert status == 2, err
    assert "Traceback" not in err
    return err


def model_file(tmp_path: Path, document: Any, name: str = "service-2.json") -> Path:
    path = tmp_path / name
    path.write_text(document if isinstance(document, str) else json.dumps(document), encoding="utf-8")
    return path


def test_a_good_small_model_diffs(tmp_path: Path, capsys: pytest.CaptureFixture[str]) -> None:
    path = model_file(tmp_path, SMALL)
    assert cli.main(["schemas", "diff", "--from", str(path), "--to", str(path)]) == 0


def test_a_deeply_nested_model_is_refused(tmp_path: Path, capsys: pytest.CaptureFixture[str]) -> None:
    path = model_file(tmp_path, "[" * 200_000 + "]" * 200_000)
    assert "nests too deep" in diff(tmp_path, path, capsys)


def test_a_gzip_bomb_is_refused_without_expanding_it(tmp_path: Path, capsys: pytest.CaptureFixture[str]) -> None:
    path = tmp_path / "service-2.json.gz"
    with gzip.open(path, "wb", compresslevel=1) as stream:
        chunk = b" " * (1024 * 1024)
        for _ in range(limits.MAX_MODEL_BYTES // len(chunk) + 4):
            stream.write(chunk)
    err = diff(tmp_path, path, capsys)
    assert "MAX_MODEL_BYTES" in err
    assert "decompressed" in err


def test_an_oversized_file_is_refused(tmp_path: Path, capsys: pytest.CaptureFixture[str]) -> None:
    path = tmp_path / "service-2.json"
    with path.open("wb") as stream:
        stream.truncate(limits.MAX_MODEL_BYTES + 10)
    assert "MAX_MODEL_BYTES" in diff(tmp_path, path, capsys)


def test_a_wheel_member_over_the_budget_is_refused(tmp_path: Path, capsys: pytest.CaptureFixture[str]) -> None:
    wheel = tmp_path / "botocore-9.9.9-py3-none-any.whl"
    with zipfile.ZipFile(wheel, "w", compression=zipfile.ZIP_DEFLATED) as archive:
        archive.writestr("botocore/data/connect/2017-08-08/service-2.json", b" " * (limits.MAX_MODEL_BYTES + 1))
    assert "MAX_MODEL_BYTES" in diff(tmp_path, wheel, capsys)


@pytest.mark.skipif(not hasattr(os, "mkfifo"), reason="no FIFOs here")
def test_a_fifo_in_a_model_folder_does_not_hang(tmp_path: Path, capsys: pytest.CaptureFixture[str]) -> None:
    folder = tmp_path / "models" / "connect" / "2017-08-08"
    folder.mkdir(parents=True)
    os.mkfifo(folder / "service-2.json")
    assert "not a regular file" in diff(tmp_path, tmp_path / "models", capsys)


def test_a_dangling_shape_reference_is_refused(tmp_path: Path, capsys: pytest.CaptureFixture[str]) -> None:
    broken = json.loads(json.dumps(SMALL))
    broken["shapes"]["ListInstancesRequest"]["members"]["NextToken"]["shape"] = "Missing"
    err = diff(tmp_path, model_file(tmp_path, broken), capsys)
    assert "shapes.ListInstancesRequest.members.NextToken" in err
    assert "'Missing'" in err


@pytest.mark.parametrize(
    ("document", "needle"),
    [
        ({"metadata": 5, "operations": [1], "shapes": "x"}, "'metadata' must be an object"),
        ({"metadata": {}, "operations": {}, "shapes": []}, "'shapes' must be an object"),
        ([1, 2], "a model is a JSON object"),
        ("{not json", "is not JSON"),
        ({**SMALL, "shapes": {**SMALL["shapes"], "L": {"type": "list"}}}, "shapes.L.member"),
    ],
)
def test_a_document_that_is_not_a_model_is_refused(
    tmp_path: Path, capsys: pytest.CaptureFixture[str], document: Any, needle: str
) -> None:
    assert needle in diff(tmp_path, model_file(tmp_path, document), capsys)


def test_load_model_raises_model_source_error(tmp_path: Path) -> None:
    with pytest.raises(spec.ModelSourceError, match="nests too deep"):
        spec.load_model(model_file(tmp_path, "[" * 100_000 + "]" * 100_000))
