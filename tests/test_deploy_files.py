"""The deploy files agree with the code and with each other: pins, ports, secrets, Redis' policies."""

from __future__ import annotations

import re
import shlex
import tomllib
from pathlib import Path
from typing import Any

import pytest
import yaml
from packaging.requirements import Requirement
from packaging.utils import canonicalize_name
from packaging.version import Version

ROOT = Path(__file__).resolve().parents[1]
DEPLOY = ROOT / "deploy"
IMAGE_EXTRAS = ("slack", "teams")
PIN = re.compile(r"^(?P<name>[A-Za-z0-9][A-Za-z0-9._-]*)==(?P<version>\S+)$")


def _pins() -> dict[str, Version]:
    pins: dict[str, Version] = {}
    for line in (DEPLOY / "constraints.txt").read_text().splitlines():
        if not line.strip() or line.startswith("#"):
            continue
        match = PIN.match(line)
        assert match, f"not an exact pin: {line!r}"
        name = canonicalize_name(match["name"])
        assert name not in pins, f"pinned twice: {name}"
        pins[name] = Version(match["version"])
    return pins


def _image_requirements() -> list[Requirement]:
    project = tomllib.loads((ROOT / "pyproject.toml").read_text())["project"]
    named = list(project["dependencies"])
    for extra in IMAGE_EXTRAS:
        named += project["optional-dependencies"][extra]
    return [Requirement(text) for text in named]


def _manifests(name: str) -> dict[tuple[str, str], dict[str, Any]]:
    documents = yaml.safe_load_all((DEPLOY / "k8s" / name).read_text())
    return {(doc["kind"], doc["metadata"]["name"]): doc for doc in documents if doc}


def _pod(manifest: dict[str, Any]) -> dict[str, Any]:
    spec: dict[str, Any] = manifest["spec"]["template"]["spec"]
    return spec


def _dockerfile_instructions() -> list[tuple[str, str]]:
    """Each instruction with its arguments, continuation lines joined."""
    text = (DEPLOY / "Dockerfile").read_text().replace("\\\n", " ")
    instructions = []
    for line in text.splitlines():
        if line.strip() and not line.lstrip().startswith("#"):
            keyword, _, rest = line.strip().partition(" ")
            instructions.append((keyword.upper(), rest.strip()))
    return instructions


def test_every_dependency_the_image_installs_is_pinned_within_its_specifier() -> None:
    """Each package pyproject names for the image has one exact pin, and the pin satisfies it."""
    pins = _pins()
    for requirement in _image_requirements():
        name = canonicalize_name(requirement.name)
        assert name in pins, (
            f"{requirement.name} is not in deploy/constraints.txt: make constraints"
        )
        assert requirement.specifier.contains(pins[name], prereleases=True), (
            f"{name}=={pins[name]} does not satisfy pyproject's {requirement}: make constraints"
        )


def test_the_image_builds_its_dependencies_with_the_constraints() -> None:
    """The wheel step for the extras reads deploy/constraints.txt, and the install takes no index."""
    runs = [rest for keyword, rest in _dockerfile_instructions() if keyword == "RUN"]
    copies = [rest for keyword, rest in _dockerfile_instructions() if keyword == "COPY"]
    assert any("deploy/constraints.txt" in copy.split() for copy in copies)
    wheel_steps = [run for run in runs if "pip wheel" in run and "[slack,teams]" in run]
    assert len(wheel_steps) == 1
    assert "--constraint constraints.txt" in wheel_steps[0]
    installs = [run for run in runs if "pip install" in run and "/wheels" in run]
    assert installs
    assert all("--no-index" in run for run in installs)


def test_the_health_check_probes_the_port_the_app_listens_on() -> None:
    """HEALTHCHECK is exec-form and asks /healthz on the port CMD gives and EXPOSE names."""
    instructions = dict(_dockerfile_instructions())
    command = yaml.safe_load(instructions["CMD"])
    port = command[command.index("--port") + 1]
    assert instructions["EXPOSE"] == port
    check = instructions["HEALTHCHECK"]
    assert " CMD [" in check, "exec form: no shell in the image's probe"
    assert f"http://127.0.0.1:{port}/healthz" in check


def test_the_app_reads_its_secrets_from_the_mounted_secret() -> None:
    """No secret in the pod's environment: the Secret is a read-only volume INTAKE_SECRETS_DIR names."""
    pod = _pod(_manifests("slack.yaml")[("Deployment", "intake-bot-slack")])
    (container,) = pod["containers"]
    assert "envFrom" not in container
    env = {item["name"]: item for item in container["env"]}
    assert all("valueFrom" not in item for item in env.values())
    secret_volumes = {v["name"]: v["secret"]["secretName"] for v in pod["volumes"] if "secret" in v}
    mounts = [m for m in container["volumeMounts"] if m["name"] in secret_volumes]
    assert [(secret_volumes[m["name"]], m["mountPath"], m["readOnly"]) for m in mounts] == [
        ("intake-bot", env["INTAKE_SECRETS_DIR"]["value"], True)
    ]
    # The files are root's; the app's user reads them through the pod's fsGroup.
    assert pod["securityContext"]["fsGroup"] == pod["securityContext"]["runAsUser"]


def test_the_pods_port_is_the_one_the_app_is_told_to_listen_on() -> None:
    """The Deployment's args, containerPort and the NetworkPolicy's ingress port are one number."""
    pod = _pod(_manifests("slack.yaml")[("Deployment", "intake-bot-slack")])
    (container,) = pod["containers"]
    port = int(container["args"][container["args"].index("--port") + 1])
    assert container["ports"] == [{"name": "http", "containerPort": port}]
    policy = _manifests("network-policy.yaml")[("NetworkPolicy", "intake-bot-slack")]
    assert [p["port"] for rule in policy["spec"]["ingress"] for p in rule["ports"]] == [port]


def _redis_commands() -> dict[str, list[str]]:
    statefulset = _manifests("redis.yaml")[("StatefulSet", "intake-bot-redis")]
    compose = yaml.safe_load((DEPLOY / "compose.yaml").read_text())
    return {
        "k8s": _pod(statefulset)["containers"][0]["args"],
        "compose": compose["services"]["redis"]["command"],
    }


@pytest.mark.parametrize("where", ["k8s", "compose"])
def test_redis_loses_no_acknowledged_answer_and_evicts_nothing(where: str) -> None:
    """Both Redis set-ups run AOF with fsync on every write and refuse writes when full."""
    args = _redis_commands()[where]
    options = dict(zip(args[1::2], args[2::2], strict=False))
    assert args[0] == "redis-server"
    assert options["--appendonly"] == "yes"
    assert options["--appendfsync"] == "always"
    assert options["--maxmemory-policy"] == "noeviction"


def test_compose_keeps_redis_off_the_host() -> None:
    """Only the app publishes a port; Redis is reached over compose's network alone."""
    services = yaml.safe_load((DEPLOY / "compose.yaml").read_text())["services"]
    assert "ports" not in services["redis"]
    assert services["redis"]["healthcheck"]["test"] == ["CMD", "redis-cli", "ping"]


def test_redis_is_reachable_from_the_app_pods_only() -> None:
    """The policies' selectors match the pods' labels, so they isolate what they mean to."""
    redis = _manifests("redis.yaml")
    slack_pod_labels = _manifests("slack.yaml")[("Deployment", "intake-bot-slack")]["spec"][
        "template"
    ]["metadata"]["labels"]
    statefulset = redis[("StatefulSet", "intake-bot-redis")]
    redis_pod_labels = statefulset["spec"]["template"]["metadata"]["labels"]
    policies = _manifests("network-policy.yaml")

    redis_policy = policies[("NetworkPolicy", "intake-bot-redis")]["spec"]
    assert redis_policy["podSelector"]["matchLabels"].items() <= redis_pod_labels.items()
    (rule,) = redis_policy["ingress"]
    (peer,) = rule["from"]
    assert peer["podSelector"]["matchLabels"].items() <= slack_pod_labels.items()
    assert not peer["podSelector"]["matchLabels"].items() <= redis_pod_labels.items()
    assert rule["ports"] == [{"protocol": "TCP", "port": 6379}]

    app_policy = policies[("NetworkPolicy", "intake-bot-slack")]["spec"]
    assert app_policy["podSelector"]["matchLabels"].items() <= slack_pod_labels.items()
    egress_ports = sorted(p["port"] for rule in app_policy["egress"] for p in rule["ports"])
    assert egress_ports == [53, 53, 443, 6379]
    headless = redis[("Service", "intake-bot-redis")]["spec"]
    assert headless["clusterIP"] == "None"
    assert statefulset["spec"]["serviceName"] == "intake-bot-redis"


def test_redis_runs_locked_down_on_a_persistent_volume() -> None:
    """Non-root, seccomp, no token, a readiness probe that needs PONG, limits, and a PVC for /data."""
    statefulset = _manifests("redis.yaml")[("StatefulSet", "intake-bot-redis")]
    pod = _pod(statefulset)
    (container,) = pod["containers"]
    assert pod["automountServiceAccountToken"] is False
    assert pod["securityContext"]["runAsNonRoot"] is True
    assert pod["securityContext"]["seccompProfile"] == {"type": "RuntimeDefault"}
    assert container["securityContext"]["allowPrivilegeEscalation"] is False
    assert {"requests", "limits"} <= container["resources"].keys()
    probe = shlex.join(container["readinessProbe"]["exec"]["command"])
    assert "redis-cli ping" in probe
    assert "PONG" in probe  # redis-cli exits 0 on NOAUTH and LOADING errors too
    (claim,) = statefulset["spec"]["volumeClaimTemplates"]
    mounts = {m["name"]: m["mountPath"] for m in container["volumeMounts"]}
    assert mounts[claim["metadata"]["name"]] == "/data"
    args = container["args"]
    assert args[args.index("--dir") + 1] == "/data"
