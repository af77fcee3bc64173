"""The production topology cannot run here (no Docker engine); check that what it names exists."""

import importlib
import itertools
import shlex
import subprocess
import sys
from pathlib import Path

import yaml

from orchestration.core.settings import PROJECT_ROOT

BIN = Path(sys.executable).parent


def _compose() -> dict:
    return yaml.safe_load((PROJECT_ROOT / "docker-compose.yml").read_text())


def test_compose_has_the_five_services_and_only_loopback_ports():
    services = _compose()["services"]
    assert {"postgres", "code", "webserver", "daemon", "api"} <= set(services)
    for name, service in services.items():
        for port in service.get("ports", []):
            assert str(port).startswith("127.0.0.1:"), f"{name} publishes {port} beyond loopback"


def test_every_command_and_module_the_compose_file_names_exists():
    for name, service in _compose()["services"].items():
        command = service.get("command")
        if not command:
            continue
        argv = command if isinstance(command, list) else shlex.split(command)
        assert (BIN / argv[0]).exists(), f"{name}: {argv[0]} is not installed"
        for flag, value in itertools.pairwise(argv):
            if flag == "-m":
                importlib.import_module(value)
            if flag == "-w":
                assert (PROJECT_ROOT / value.removeprefix("/app/")).exists(), f"{name}: {value}"
        for arg in argv[1:]:
            if ":" in arg and arg.split(":")[0].replace(".", "").isalpha() and "." in arg.split(":")[0]:
                module, attr = arg.split(":")
                assert hasattr(importlib.import_module(module), attr), f"{name}: {arg}"


def test_webserver_and_daemon_load_the_code_service_over_grpc():
    workspace = yaml.safe_load((PROJECT_ROOT / "docker" / "workspace.yaml").read_text())
    (location,) = workspace["load_from"]
    assert location["grpc_server"]["host"] == "code"
    code = _compose()["services"]["code"]["command"]
    assert str(location["grpc_server"]["port"]) in code


def test_the_image_prepares_the_dbt_manifest_and_ships_dagster_yaml():
    dockerfile = (PROJECT_ROOT / "Dockerfile").read_text()
    assert "prepare_manifest()" in dockerfile
    assert "uv sync --frozen" in dockerfile
    assert "dagster.yaml" in dockerfile


def test_dagster_yaml_sets_the_promised_instance_policies():
    config = yaml.safe_load((PROJECT_ROOT / "dagster.yaml").read_text())
    assert config["telemetry"]["enabled"] is False
    assert config["storage"]["postgres"]["postgres_url"] == {"env": "DAGSTER_PG_URL"}
    assert config["run_coordinator"]["class"] == "QueuedRunCoordinator"
    assert config["run_coordinator"]["config"]["max_concurrent_runs"] <= 2
    assert config["run_monitoring"]["enabled"] is True
    assert config["run_retries"] == {"enabled": True, "max_retries": 2, "retry_on_asset_or_op_failure": False}


def test_the_code_location_loads_as_dagster_loads_it(platform):
    """`dagster definitions validate` imports the workspace like the webserver and daemon do."""
    result = subprocess.run(
        [str(BIN / "dagster"), "definitions", "validate", "-w", str(PROJECT_ROOT / "workspace.yaml")],
        env=platform.env,
        cwd=PROJECT_ROOT,
        capture_output=True,
        text=True,
        timeout=300,
    )
    assert result.returncode == 0, result.stdout[-3000:] + result.stderr[-3000:]
