"""The fake ``stm32ai_dc`` (tests/fakes/stm32ai_dc) against our machine-readable description of ST's real client
(tests/fakes/stm32ai_dc_contract.json, written from ST's source at two commits): exported names, method
signatures and defaults, result fields and their order, parameter defaults, exception classes, which footprint
keys each size field adds up, where MACC comes from, and which exception each failure raises. A change to the
fake or to the description that makes them differ is a red test here, not a silent difference in the figures.

ST's cloud itself cannot run here (no internet, no MyST account), so the fake stands in for it at that boundary.
"""
from __future__ import annotations

import importlib
import inspect
import json
import sys
from pathlib import Path

import pytest

FAKES = Path(__file__).resolve().parents[1] / "fakes"
CONTRACT = json.loads((FAKES / "stm32ai_dc_contract.json").read_text())
CLIENTS = sorted(CONTRACT["clients"])
# every footprint key with its own power of two: any wrong sum gives a different number
FOOTPRINT = {"weights": 1, "activations": 2, "io": [4, 8], "kernel_flash": 16, "toolchain_flash": 32,
             "extra_flash": 64, "kernel_ram": 128, "toolchain_ram": 256, "extra_ram": 512}


def _forget_client():
    for name in [m for m in sys.modules if m == "stm32ai_dc" or m.startswith("stm32ai_dc.")]:
        del sys.modules[name]


@pytest.fixture(params=CLIENTS)
def fake(request, monkeypatch):
    """(description of one client, the fake package in that client's shape)."""
    monkeypatch.syspath_prepend(str(FAKES))
    monkeypatch.setenv("FAKE_STM32AI_CLIENT", request.param)
    monkeypatch.setenv("FAKE_STM32AI_SCENARIO", "ok")
    monkeypatch.delenv("FAKE_STM32AI_STORED_TOKEN", raising=False)
    _forget_client()
    yield CONTRACT["clients"][request.param], importlib.import_module("stm32ai_dc")
    _forget_client()


def _default(expression, namespace):
    return inspect.Parameter.empty if expression is None else eval(expression, dict(vars(namespace)))  # noqa: S307


def test_the_description_covers_both_client_shapes():
    assert CLIENTS == ["46924c0", "f971224"]
    older, newer = (CONTRACT["clients"][c]["results"]["BenchmarkResult"] for c in CLIENTS)
    assert set(newer) - set(older) == {"weights", "activations_size"}


def test_exported_names(fake):
    described, package = fake
    missing = [name for name in described["exports"] if not hasattr(package, name)]
    assert not missing, f"the fake does not export {missing}"


def test_method_signatures_and_defaults(fake):
    described, package = fake
    types = importlib.import_module("stm32ai_dc.types")
    for qualified, parameters in described["signatures"].items():
        class_name, method = qualified.split(".")
        signature = inspect.signature(getattr(getattr(package, class_name), method))
        actual = [(p.name, p.default) for p in signature.parameters.values() if p.name != "self"]
        expected = [(name, _default(default, types)) for name, default in parameters]
        assert actual == expected, qualified


def test_result_fields_in_order(fake):
    described, _ = fake
    types = importlib.import_module("stm32ai_dc.types")
    for name, fields in described["results"].items():
        assert list(getattr(types, name)._fields) == fields, name


def test_parameter_defaults(fake):
    described, _ = fake
    types = importlib.import_module("stm32ai_dc.types")
    for name, fields in described["parameters"].items():
        defaults = getattr(types, name)._field_defaults
        for field, default in fields.items():
            assert field in getattr(types, name)._fields, f"{name}.{field}"
            if default is None:
                assert field not in defaults, f"{name}.{field} is required in the real client"
            else:
                assert defaults[field] == _default(default, types), f"{name}.{field}"


def test_exception_classes_and_bases(fake):
    described, _ = fake
    errors = importlib.import_module("stm32ai_dc.errors")
    for name, bases in described["errors"].items():
        assert [base.__name__ for base in getattr(errors, name).__bases__] == bases, name


def _expected(footprint: dict, keys: list[str]) -> int:
    total = 0
    for key in keys:
        first, _, fallback = key.partition("|")
        value = footprint.get(first, footprint.get(fallback, 0) if fallback else 0)
        total += sum(value) if isinstance(value, list) else value
    return total


@pytest.mark.parametrize("without", [None, "toolchain_ram", "kernel_flash"])
def test_size_fields_add_up_the_described_footprint_keys(fake, without):
    described, _ = fake
    cloud = importlib.import_module("stm32ai_dc.backend.cloud.cloud")
    footprint = {k: v for k, v in FOOTPRINT.items() if k != without}
    results = {"AnalyzeResult": cloud.analyze_result(cloud.analyze_reply("int8", "v", "m.tflite",
                                                                          footprint=footprint)),
               "BenchmarkResult": cloud.benchmark_result(cloud.benchmark_reply("int8", "v", "m.tflite", "B",
                                                                               footprint=footprint))}
    for result_name, rules in described["figures"].items():
        for field, keys in rules.items():
            actual = getattr(results[result_name], field)
            if field == "estimated_library_flash_size" and result_name == "AnalyzeResult" and without:
                continue  # checked below: -1 when the reply has no kernel figure
            assert actual == _expected(footprint, keys), f"{result_name}.{field} (reply without {without})"
    if without == "kernel_flash":
        assert results["AnalyzeResult"].estimated_library_flash_size == -1


@pytest.mark.parametrize("with_graph", [True, False])
def test_macc_comes_from_where_the_client_takes_it(fake, with_graph):
    described, _ = fake
    cloud = importlib.import_module("stm32ai_dc.backend.cloud.cloud")
    analyze = cloud.analyze_reply("int8", "v", "m.tflite", with_graph=with_graph)
    if with_graph:
        analyze["graph"]["macc"] = 77  # differs from the nodes' sum, so the source shows
    benchmark = cloud.benchmark_reply("int8", "v", "m.tflite", "B")
    figures = {"nodes": sum(cloud.NODE_MACC), "graph.macc": 77, 0: 0}
    rule = "with_graph" if with_graph else "without_graph"
    assert cloud.analyze_result(analyze).macc == figures[described["macc"]["AnalyzeResult"][rule]]
    assert cloud.benchmark_result(benchmark).macc == figures[described["macc"]["BenchmarkResult"][rule]]


def test_failures_raise_the_described_exceptions(fake, monkeypatch):
    described, package = fake
    raised = {}
    monkeypatch.setenv("FAKE_STM32AI_STORED_TOKEN", "expired")
    with pytest.raises(Exception) as expired:
        package.CloudBackend(None, None)
    raised["expired_stored_token"] = type(expired.value).__name__
    monkeypatch.setenv("FAKE_STM32AI_SCENARIO", "bad-login")
    with pytest.raises(Exception) as bad_login:
        package.CloudBackend("user", "wrong")
    raised["wrong_password"] = type(bad_login.value).__name__
    monkeypatch.setenv("FAKE_STM32AI_SCENARIO", "quota")
    ai = package.Stm32Ai(package.CloudBackend("user", "right"))
    ai.upload_model("/tmp/m.tflite")
    with pytest.raises(Exception) as quota:
        ai.benchmark(package.CliParameters(model="m.tflite"), "NUCLEO-F401RE")
    raised["quota_refusal"] = type(quota.value).__name__
    raised.update(_first_use_failures(package, monkeypatch))
    assert raised == described["raises"]
    cloud = importlib.import_module("stm32ai_dc.backend.cloud.cloud")
    assert str(expired.value) == described["messages"]["expired_stored_token"]
    assert str(quota.value) == described["messages"]["quota_refusal"].format(board="NUCLEO-F401RE",
                                                                                errors=cloud.QUOTA_REFUSAL)


def _first_use_failures(package, monkeypatch) -> dict:
    """What the client raises for the failures of a first use with a real account (its messages checked below)."""
    raised = {}
    for state, key in (("refresh-not-json", "refresh_not_json"), ("rejected", "rejected_token_board_list")):
        monkeypatch.setenv("FAKE_STM32AI_SCENARIO", "ok")
        monkeypatch.setenv("FAKE_STM32AI_STORED_TOKEN", state)
        with pytest.raises(Exception) as failure:
            package.Stm32Ai(package.CloudBackend(None, None)).get_benchmark_boards()
        raised[key] = type(failure.value).__name__
    for scenario, key in (("analyze-quota", "refused_analyze"), ("analyze-error-state", "analyze_error_state")):
        monkeypatch.setenv("FAKE_STM32AI_SCENARIO", scenario)
        ai = package.Stm32Ai(package.CloudBackend("user", "right"))
        ai.upload_model("/tmp/m.tflite")
        with pytest.raises(Exception) as failure:
            ai.analyze(package.CliParameters(model="m.tflite"))
        raised[key] = type(failure.value).__name__
    return raised


def test_first_use_failures_say_what_the_described_client_says(fake, monkeypatch, capsys):
    described, package = fake
    messages, behaviour = described["messages"], described["behaviour"]
    monkeypatch.setenv("FAKE_STM32AI_SCENARIO", "analyze-quota")
    ai = package.Stm32Ai(package.CloudBackend("user", "right"))
    ai.upload_model("/tmp/m.tflite")
    with pytest.raises(TypeError) as refused:
        ai.analyze(package.CliParameters(model="m.tflite"))
    assert str(refused.value) == messages["refused_analyze"]
    assert "\nError server reply with 429 HTTP code: " in capsys.readouterr().out
    monkeypatch.setenv("FAKE_STM32AI_SCENARIO", "analyze-error-state")
    with pytest.raises(Exception) as error_state:
        ai.analyze(package.CliParameters(model="m.tflite"))
    assert str(error_state.value) == messages["analyze_error_state"]
    run = ai.backend.stm32ai_service.wait_for_run("runtime-1", timeout=300, pooling_delay=2)
    assert run["state"] == "error" and run["message"]  # the message the client's analyze drops
    assert behaviour["logger"] == "STM32AI_API" == importlib.import_module("stm32ai_dc.backend.cloud.cloud").LOGGER.name
    assert "enable_epoch_controller=True" in behaviour["n6_benchmark_parameters"]


def test_the_version_rule_of_each_client(fake):
    """The older client matches --st-version against the platform's numbering, the newer against the entry's
    own (see 'version_match'); an unmatched version becomes the latest."""
    described, package = fake
    platform_numbering = package.CloudBackend("user", "pw", version="10.1.0").version
    own_numbering = package.CloudBackend("user", "pw", version="2.1.0").version
    if "platform.stm32" in described["version_match"]:  # an entry's own number matches only without platform.stm32
        assert (platform_numbering, own_numbering) == ("2.1.0", "2.2.0")
    else:
        assert (platform_numbering, own_numbering) == ("2.2.0", "2.1.0")


def test_the_harness_waits_as_long_as_the_described_clients():
    """Our classification of a client-side give-up as a timeout relies on the client's own analyze wait."""
    from hil.st_benchmark import st_cloud

    assert {c["waits"]["analyze_s"] for c in CONTRACT["clients"].values()} == {st_cloud.ANALYZE_CLIENT_WAIT_S}
    assert all(st_cloud.ST_BENCHMARK_TIMEOUT_S >= c["waits"]["benchmark_default_s"]
               for c in CONTRACT["clients"].values())
