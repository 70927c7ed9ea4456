"""ST's client on first use with a real account, as ST's source (46924c0, f971224, 373ce17) shows it behaves: what
the service says but the client does not put in its exceptions, a stored token that fails, an upload that fails
after the file was stored, and the STM32N6 parameters of ST's benchmark script. Against tests/fakes/stm32ai_dc."""
from __future__ import annotations

import shutil
import sys
from pathlib import Path

import pytest

from hil.st_benchmark import st_cloud
from tests.hil_unit.st_helpers import FAKES, cloud, results_of
from tests.hil_unit.test_st_backend import BOTH_CLIENTS


@BOTH_CLIENTS
def test_an_analyze_refused_by_the_service_is_a_quota_error(fake_client, run_dir, monkeypatch, capsys):
    """The client prints the server's 429 text, its trigger returns None and analyze fails on that None."""
    monkeypatch.setenv("FAKE_STM32AI_SCENARIO", "analyze-quota")
    assert cloud(run_dir) == 2
    err = capsys.readouterr().err.strip().splitlines()[-1]
    assert results_of(run_dir)["error"]["kind"] == "quota"
    assert "analyze float model" in err and fake_client.ANALYZE_REFUSAL in err and "quota of this account" in err
    assert "stm32ai_dc version" not in err


@BOTH_CLIENTS
def test_a_run_in_st_error_state_keeps_the_servers_message(fake_client, run_dir, monkeypatch, capsys):
    monkeypatch.setenv("FAKE_STM32AI_SCENARIO", "analyze-error-state")
    assert cloud(run_dir) == 2
    err = capsys.readouterr().err.strip().splitlines()[-1]
    assert f"the run ended in ST's error state: {fake_client.RUN_ERROR}" in err
    error = results_of(run_dir)["error"]
    assert error["kind"] == "service" and fake_client.RUN_ERROR in error["message"]


def _stored_token(monkeypatch, tmp_path, state: str) -> None:
    for name in ("STM32AI_USERNAME", "STM32AI_PASSWORD"):
        monkeypatch.delenv(name)
    (tmp_path / "token").write_text("{}")
    monkeypatch.setattr(st_cloud, "TOKEN_FILE", tmp_path / "token")
    monkeypatch.setenv("FAKE_STM32AI_STORED_TOKEN", state)


def test_a_refresh_reply_that_is_not_json_is_a_login_error_with_the_fix(fake_client, run_dir, monkeypatch,
                                                                         tmp_path, capsys):
    _stored_token(monkeypatch, tmp_path, "refresh-not-json")
    assert cloud(run_dir) == 2
    err = capsys.readouterr().err.strip().splitlines()[-1]
    assert "login: JSONDecodeError" in err and "delete the stored token ~/.stmai_token" in err
    assert "internet connection" not in err
    assert results_of(run_dir)["error"]["kind"] == "login"


def test_a_token_the_server_rejects_is_a_login_error_with_the_fix(fake_client, run_dir, monkeypatch, tmp_path,
                                                                  capsys):
    _stored_token(monkeypatch, tmp_path, "rejected")
    assert cloud(run_dir) == 2
    err = capsys.readouterr().err.strip().splitlines()[-1]
    assert "list benchmark boards" in err and "server response code is: 401" in err
    assert "delete the stored token ~/.stmai_token" in err
    assert results_of(run_dir)["error"]["kind"] == "login"


def test_an_upload_that_raises_after_the_file_was_stored_is_still_deleted(fake_client, run_dir, monkeypatch):
    monkeypatch.setenv("FAKE_STM32AI_SCENARIO", "upload-raises")
    assert cloud(run_dir) == 2
    uploads = [Path(args["path"]).name for name, args in fake_client.CALLS if name == "upload_model"]
    deleted = [args["name"] for name, args in fake_client.CALLS if name == "delete_model"]
    assert len(uploads) == 1 and deleted == uploads
    assert results_of(run_dir)["uploads_left"] == {}


def test_a_refused_upload_is_not_deleted(fake_client, run_dir, monkeypatch):
    monkeypatch.setenv("FAKE_STM32AI_SCENARIO", "upload-refused")
    assert cloud(run_dir) == 2
    assert not [c for c in fake_client.CALLS if c[0] == "delete_model"]
    assert results_of(run_dir)["uploads_left"] == {}


# ---- importing the client: ST's two layouts, one copy of its modules ------------------------------------------

# how ST's backend/cloud/cloud.py imports its package; 4.1 (ad0ee9d) imports relatively again and ST's
# common/pyproject.toml installs it as common.stm32ai_dc, without a common/__init__.py (a namespace package)
OWN_IMPORT = {"3.1": "common.stm32ai_dc", "46924c0": "stm32ai_dc", "4.1": "common.stm32ai_dc"}


def _client_tree(root: Path, layout: str) -> Path:
    """The fake laid out as ST's clone is (``common/stm32ai_dc``), its cloud module importing the package by the
    absolute name ST's ``backend/cloud/cloud.py`` of that layout uses (``from common.stm32ai_dc.errors import``
    from 3.1 on, ``from stm32ai_dc.errors import`` up to 46924c0)."""
    package = root / "common" / "stm32ai_dc"
    shutil.copytree(FAKES / "stm32ai_dc", package, ignore=shutil.ignore_patterns("__pycache__"))
    if layout == "4.1":
        return root
    (root / "common" / "__init__.py").write_text("")
    cloud_py = package / "backend" / "cloud" / "cloud.py"
    own = OWN_IMPORT[layout]
    cloud_py.write_text(cloud_py.read_text().replace("from ...errors", f"from {own}.errors")
                        .replace("from ...types", f"from {own}.types"))
    return root


@pytest.fixture
def st_clone(fake_client, tmp_path, monkeypatch):
    """``(layout, paths)`` -> the fake client importable only from an ST-shaped clone on those paths."""
    monkeypatch.setattr(sys, "path", [p for p in sys.path if Path(p or ".").resolve() != FAKES])

    def make(layout: str, paths: tuple[str, ...]) -> Path:
        root = _client_tree(tmp_path / "clone", layout)
        for path in paths:
            monkeypatch.syspath_prepend(str(root / path))
        for name in [m for m in sys.modules if m.split(".")[0] in ("stm32ai_dc", "common")]:
            monkeypatch.delitem(sys.modules, name)
        return root

    yield make
    for name in [m for m in sys.modules if m.split(".")[0] in ("stm32ai_dc", "common")]:
        del sys.modules[name]


@pytest.mark.parametrize("layout", ["3.1", "46924c0", "4.1"])
def test_the_client_is_imported_once_under_its_own_name(st_clone, run_dir, layout):
    """Both folders on PYTHONPATH (the clone and its common/): one copy of ST's types, and a whole run works."""
    st_clone(layout, (".", "common"))
    client = st_cloud.import_client()
    assert client.__name__ == OWN_IMPORT[layout]
    loaded = {m for m in sys.modules if m.endswith("stm32ai_dc.types")}
    assert loaded == {f"{OWN_IMPORT[layout]}.types"}
    assert cloud(run_dir) == 0 and results_of(run_dir)["status"] == "complete"


def test_st_3_1_layout_imports_as_common_stm32ai_dc(st_clone, run_dir):
    st_clone("3.1", (".",))  # PYTHONPATH=<clone>, as ST's scripts run and its common/ package installs
    assert st_cloud.import_client().__name__ == "common.stm32ai_dc"
    assert cloud(run_dir) == 0


def test_a_3_1_client_on_the_older_path_is_one_line_naming_the_path(st_clone, run_dir, capsys):
    st_clone("3.1", ("common",))  # PYTHONPATH=<clone>/common: the client cannot import common.stm32ai_dc
    assert cloud(run_dir) == 2
    err = capsys.readouterr().err.strip().splitlines()[-1]
    assert "imports itself as common.stm32ai_dc" in err and "export PYTHONPATH=<clone>" in err
