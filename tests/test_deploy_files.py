"""The deploy files agree with the code and with each other: pins, ports, secrets, Redis' policies.

Both apps (Slack and Teams) get the same checks; the Teams app package (deploy/teams/) is
checked against Teams' limits and the commands the dialogue knows.
"""

from __future__ import annotations

import json
import re
import shlex
import struct
import tomllib
import zlib
from itertools import permutations
from pathlib import Path
from typing import Any

import pytest
import yaml
from packaging.requirements import Requirement
from packaging.utils import canonicalize_name
from packaging.version import Version

from conversations.dialogue import COMMANDS, START_WORD

ROOT = Path(__file__).resolve().parents[1]
DEPLOY = ROOT / "deploy"
TEAMS_PACKAGE = DEPLOY / "teams"
IMAGE_EXTRAS = ("slack", "teams")
PIN = re.compile(r"^(?P<name>[A-Za-z0-9][A-Za-z0-9._-]*)==(?P<version>\S+)$")
# The front ends, each an `intake-bot <app>` command with its own Deployment, Service, PDB,
# NetworkPolicy and compose service, all named after it.
APPS = ("slack", "teams")
# Each app's Secret, mounted as files (the kubectl command atop deploy/k8s/<app>.yaml).
APP_SECRETS = {"slack": "intake-bot", "teams": "intake-bot-teams"}
GUID = re.compile(r"^[0-9a-fA-F]{8}-(?:[0-9a-fA-F]{4}-){3}[0-9a-fA-F]{12}$")
# Teams' limits on a bot's command menu (the schema allows more than the client shows).
TEAMS_MAX_COMMANDS = 10
TEAMS_MAX_COMMAND_TITLE = 32
TEAMS_MAX_COMMAND_DESCRIPTION = 128


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


def _deployment(app: str) -> dict[str, Any]:
    return _manifests(f"{app}.yaml")[("Deployment", f"intake-bot-{app}")]


def _pod_labels(manifest: dict[str, Any]) -> dict[str, str]:
    labels: dict[str, str] = manifest["spec"]["template"]["metadata"]["labels"]
    return labels


def _matches(selector: dict[str, str], labels: dict[str, str]) -> bool:
    return selector.items() <= labels.items()


def _compose_services() -> dict[str, Any]:
    services: dict[str, Any] = yaml.safe_load((DEPLOY / "compose.yaml").read_text())["services"]
    return services


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


def _image_port() -> str:
    """The port the image's CMD listens on, which its HEALTHCHECK probes (checked below)."""
    command = yaml.safe_load(dict(_dockerfile_instructions())["CMD"])
    port: str = command[command.index("--port") + 1]
    return port


def test_the_health_check_probes_the_port_the_app_listens_on() -> None:
    """HEALTHCHECK is exec-form and asks /healthz on the port CMD gives and EXPOSE names."""
    instructions = dict(_dockerfile_instructions())
    port = _image_port()
    assert instructions["EXPOSE"] == port
    check = instructions["HEALTHCHECK"]
    assert " CMD [" in check, "exec form: no shell in the image's probe"
    assert f"http://127.0.0.1:{port}/healthz" in check


@pytest.mark.parametrize("app", APPS)
def test_the_app_reads_its_secrets_from_the_mounted_secret(app: str) -> None:
    """No secret in the pod's environment: the Secret is a read-only volume INTAKE_SECRETS_DIR names."""
    pod = _pod(_deployment(app))
    (container,) = pod["containers"]
    assert "envFrom" not in container
    env = {item["name"]: item for item in container["env"]}
    assert all("valueFrom" not in item for item in env.values())
    secret_volumes = {v["name"]: v["secret"]["secretName"] for v in pod["volumes"] if "secret" in v}
    mounts = [m for m in container["volumeMounts"] if m["name"] in secret_volumes]
    assert [(secret_volumes[m["name"]], m["mountPath"], m["readOnly"]) for m in mounts] == [
        (APP_SECRETS[app], env["INTAKE_SECRETS_DIR"]["value"], True)
    ]
    # The files are root's; the app's user reads them through the pod's fsGroup.
    assert pod["securityContext"]["fsGroup"] == pod["securityContext"]["runAsUser"]


@pytest.mark.parametrize("app", APPS)
def test_the_pods_port_is_the_one_the_app_is_told_to_listen_on(app: str) -> None:
    """The Deployment's args, containerPort and the NetworkPolicy's ingress port are one number."""
    pod = _pod(_deployment(app))
    (container,) = pod["containers"]
    assert container["args"][0] == app
    port = int(container["args"][container["args"].index("--port") + 1])
    assert container["ports"] == [{"name": "http", "containerPort": port}]
    policy = _manifests("network-policy.yaml")[("NetworkPolicy", f"intake-bot-{app}")]
    assert [p["port"] for rule in policy["spec"]["ingress"] for p in rule["ports"]] == [port]


@pytest.mark.parametrize("app", APPS)
def test_the_app_pods_run_locked_down_and_drain_before_they_stop(app: str) -> None:
    """Non-root, seccomp, no token, probes on the named port, and a grace period over pause + drain."""
    manifests = _manifests(f"{app}.yaml")
    deployment = manifests[("Deployment", f"intake-bot-{app}")]
    pod = _pod(deployment)
    (container,) = pod["containers"]
    assert pod["automountServiceAccountToken"] is False
    assert pod["securityContext"]["runAsNonRoot"] is True
    assert pod["securityContext"]["seccompProfile"] == {"type": "RuntimeDefault"}
    assert container["securityContext"]["allowPrivilegeEscalation"] is False
    assert container["securityContext"]["readOnlyRootFilesystem"] is True
    assert {"requests", "limits"} <= container["resources"].keys()
    assert container["readinessProbe"]["httpGet"] == {"path": "/readyz", "port": "http"}
    assert container["livenessProbe"]["httpGet"] == {"path": "/healthz", "port": "http"}
    pause = container["lifecycle"]["preStop"]["exec"]["command"]
    assert pause[0] == "sleep"
    env = {item["name"]: item["value"] for item in container["env"]}
    drain = float(env["INTAKE_SHUTDOWN_GRACE_SECONDS"])
    assert pod["terminationGracePeriodSeconds"] > int(pause[1]) + drain
    labels = _pod_labels(deployment)
    assert _matches(deployment["spec"]["selector"]["matchLabels"], labels)
    service = manifests[("Service", f"intake-bot-{app}")]["spec"]
    assert _matches(service["selector"], labels)
    assert [p["targetPort"] for p in service["ports"]] == ["http"]
    budget = manifests[("PodDisruptionBudget", f"intake-bot-{app}")]["spec"]
    assert _matches(budget["selector"]["matchLabels"], labels)
    assert budget["minAvailable"] < deployment["spec"]["replicas"]


@pytest.mark.parametrize(("app", "other"), list(permutations(APPS, 2)))
def test_no_app_selects_the_other_apps_pods(app: str, other: str) -> None:
    """A Service, PDB or policy that matched both apps' pods would send Slack's events to Teams."""
    manifests = _manifests(f"{app}.yaml")
    policy = _manifests("network-policy.yaml")[("NetworkPolicy", f"intake-bot-{app}")]
    selectors = [
        manifests[("Deployment", f"intake-bot-{app}")]["spec"]["selector"]["matchLabels"],
        manifests[("Service", f"intake-bot-{app}")]["spec"]["selector"],
        manifests[("PodDisruptionBudget", f"intake-bot-{app}")]["spec"]["selector"]["matchLabels"],
        policy["spec"]["podSelector"]["matchLabels"],
    ]
    other_labels = _pod_labels(_deployment(other))
    assert not any(_matches(selector, other_labels) for selector in selectors)


def _redis_commands() -> dict[str, list[str]]:
    statefulset = _manifests("redis.yaml")[("StatefulSet", "intake-bot-redis")]
    return {
        "k8s": _pod(statefulset)["containers"][0]["args"],
        "compose": _compose_services()["redis"]["command"],
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
    """Only the apps publish ports, each its own; Redis is reached over compose's network alone."""
    services = _compose_services()
    assert "ports" not in services["redis"]
    assert services["redis"]["healthcheck"]["test"] == ["CMD", "redis-cli", "ping"]
    host_ports = [port.split(":")[0] for app in APPS for port in services[app]["ports"]]
    assert len(set(host_ports)) == len(host_ports)


@pytest.mark.parametrize("app", APPS)
def test_compose_runs_each_app_on_the_port_the_image_probes(app: str) -> None:
    """The command's port is the HEALTHCHECK's, is the one published, and Redis is compose's."""
    service = _compose_services()[app]
    command = service["command"]
    assert command[0] == app
    port = command[command.index("--port") + 1]
    assert port == _image_port()
    assert "healthcheck" not in service, "the image's HEALTHCHECK is the one that applies"
    assert [published.split(":")[-1] for published in service["ports"]] == [port]
    assert service["environment"]["REDIS_URL"].startswith("redis://redis:6379/")
    assert service["depends_on"]["redis"]["condition"] == "service_healthy"
    assert service["env_file"] == "../.env"


def test_compose_starts_the_teams_bot_only_when_asked() -> None:
    """A plain `up` runs the Slack app as before; Teams waits for its profile or its name."""
    services = _compose_services()
    assert "profiles" not in services["slack"]
    assert services["teams"]["profiles"] == ["teams"]


def test_redis_is_reachable_from_the_app_pods_only() -> None:
    """The policies' selectors match the pods' labels, so they isolate what they mean to."""
    redis = _manifests("redis.yaml")
    statefulset = redis[("StatefulSet", "intake-bot-redis")]
    redis_pod_labels = _pod_labels(statefulset)
    redis_policy = _manifests("network-policy.yaml")[("NetworkPolicy", "intake-bot-redis")]["spec"]
    assert _matches(redis_policy["podSelector"]["matchLabels"], redis_pod_labels)
    (rule,) = redis_policy["ingress"]
    peers = [peer["podSelector"]["matchLabels"] for peer in rule["from"]]
    # One peer per app, each matching that app's pods only, and none Redis' own.
    matched = [
        app for peer in peers for app in APPS if _matches(peer, _pod_labels(_deployment(app)))
    ]
    assert matched == list(APPS)
    assert not any(_matches(peer, redis_pod_labels) for peer in peers)
    assert rule["ports"] == [{"protocol": "TCP", "port": 6379}]
    headless = redis[("Service", "intake-bot-redis")]["spec"]
    assert headless["clusterIP"] == "None"
    assert statefulset["spec"]["serviceName"] == "intake-bot-redis"


@pytest.mark.parametrize("app", APPS)
def test_the_app_goes_out_only_to_redis_dns_and_public_https(app: str) -> None:
    """The app's policy selects its pods; egress is Redis' pods, DNS, and 443 outside private ranges."""
    policy = _manifests("network-policy.yaml")[("NetworkPolicy", f"intake-bot-{app}")]["spec"]
    assert _matches(policy["podSelector"]["matchLabels"], _pod_labels(_deployment(app)))
    assert policy["policyTypes"] == ["Ingress", "Egress"]
    egress = policy["egress"]
    assert sorted(p["port"] for rule in egress for p in rule["ports"]) == [53, 53, 443, 6379]
    (to_redis,) = [rule for rule in egress if rule["ports"][0]["port"] == 6379]
    statefulset = _manifests("redis.yaml")[("StatefulSet", "intake-bot-redis")]
    assert all(
        _matches(peer["podSelector"]["matchLabels"], _pod_labels(statefulset))
        for peer in to_redis["to"]
    )
    (https,) = [rule for rule in egress if rule["ports"][0]["port"] == 443]
    assert all(peer["ipBlock"]["except"] for peer in https["to"])


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


def _teams_manifest() -> dict[str, Any]:
    manifest: dict[str, Any] = json.loads((TEAMS_PACKAGE / "manifest.json").read_text())
    return manifest


def _paeth(left: int, up: int, corner: int) -> int:
    estimate = left + up - corner
    distances = (abs(estimate - left), abs(estimate - up), abs(estimate - corner))
    return (left, up, corner)[distances.index(min(distances))]


def _png(path: Path) -> tuple[int, int, int, list[bytes]]:
    """Width, height, colour type and unfiltered rows of an 8-bit RGB or RGBA, non-interlaced PNG."""
    data = path.read_bytes()
    assert data[:8] == b"\x89PNG\r\n\x1a\n", f"{path.name} is not a PNG"
    chunks: list[tuple[bytes, bytes]] = []
    offset = 8
    while offset < len(data):
        (length,) = struct.unpack(">I", data[offset : offset + 4])
        chunks.append((data[offset + 4 : offset + 8], data[offset + 8 : offset + 8 + length]))
        offset += 12 + length
    width, height, depth, colour, _, _, interlace = struct.unpack(">IIBBBBB", chunks[0][1])
    assert (depth, colour, interlace) in {(8, 2, 0), (8, 6, 0)}, f"{path.name}: unexpected format"
    channels = 3 if colour == 2 else 4
    raw = zlib.decompress(b"".join(body for kind, body in chunks if kind == b"IDAT"))
    stride = width * channels
    rows: list[bytes] = []
    previous = bytearray(stride)
    for y in range(height):
        start = y * (stride + 1)
        kind, line = raw[start], bytearray(raw[start + 1 : start + 1 + stride])
        for i in range(stride):
            left = line[i - channels] if i >= channels else 0
            corner = previous[i - channels] if i >= channels else 0
            up = previous[i]
            predicted = (0, left, up, (left + up) // 2, _paeth(left, up, corner))[kind]
            line[i] = (line[i] + predicted) & 0xFF
        rows.append(bytes(line))
        previous = line
    return width, height, colour, rows


def test_the_teams_manifest_declares_one_conversational_bot_for_three_scopes() -> None:
    """Valid JSON on a GA schema (1.19+) its URL names; the bot chats in teams, personal and group chats."""
    manifest = _teams_manifest()
    version = manifest["manifestVersion"]
    assert Version(version) >= Version("1.19")
    assert manifest["$schema"] == (
        f"https://developer.microsoft.com/en-us/json-schemas/teams/v{version}/MicrosoftTeams.schema.json"
    )
    (bot,) = manifest["bots"]
    assert sorted(bot["scopes"]) == ["groupChat", "personal", "team"]
    assert bot["supportsFiles"] is False
    assert bot["isNotificationOnly"] is False
    # The README's set-up replaces one placeholder, the bot's Microsoft App ID, in all three.
    app_ids = {manifest["id"], bot["botId"], manifest["webApplicationInfo"]["id"]}
    assert len(app_ids) == 1
    assert GUID.match(app_ids.pop())
    # Replies in a channel that do not mention the bot reach it only with this consent.
    resource_specific = manifest["authorization"]["permissions"]["resourceSpecific"]
    assert {"name": "ChannelMessage.Read.Group", "type": "Application"} in resource_specific
    assert len(manifest["name"]["short"]) <= 30
    assert len(manifest["description"]["short"]) <= 80
    assert len(manifest["developer"]["name"]) <= 32
    urls = [value for key, value in manifest["developer"].items() if key.endswith("Url")]
    assert len(urls) == 3
    assert all(url.startswith("https://") for url in urls)


def test_the_teams_command_menu_offers_commands_the_bot_knows_within_teams_limits() -> None:
    """One list per scope, each starting intakes, with at most 10 known commands and short texts."""
    (bot,) = _teams_manifest()["bots"]
    command_lists = bot["commandLists"]
    assert sorted(scope for listed in command_lists for scope in listed["scopes"]) == sorted(
        bot["scopes"]
    )
    known = {START_WORD, *COMMANDS}
    for listed in command_lists:
        titles = [command["title"] for command in listed["commands"]]
        assert START_WORD in titles
        assert len(titles) <= TEAMS_MAX_COMMANDS
        assert len(set(titles)) == len(titles)
        assert set(titles) <= known, f"not commands of the dialogue: {set(titles) - known}"
        assert all(len(title) <= TEAMS_MAX_COMMAND_TITLE for title in titles)
        descriptions = [command["description"] for command in listed["commands"]]
        assert all(0 < len(text) <= TEAMS_MAX_COMMAND_DESCRIPTION for text in descriptions)


def test_the_teams_icons_are_the_ones_teams_asks_for() -> None:
    """color.png is 192x192; outline.png is 32x32, white on a transparent background."""
    icons = _teams_manifest()["icons"]
    assert _png(TEAMS_PACKAGE / icons["color"])[:2] == (192, 192)
    width, height, colour, rows = _png(TEAMS_PACKAGE / icons["outline"])
    assert (width, height, colour) == (32, 32, 6)
    pixels = [row[i : i + 4] for row in rows for i in range(0, len(row), 4)]
    assert all(pixel[:3] == b"\xff\xff\xff" for pixel in pixels if pixel[3])
    alphas = {pixel[3] for pixel in pixels}
    assert {0, 255} <= alphas, "a symbol on a transparent background"


def _cronjob() -> dict[str, Any]:
    return _manifests("digest-cronjob.yaml")[("CronJob", "intake-bot-digest-slack")]


def test_the_digest_cronjob_runs_one_pass_of_the_apps_image_at_a_time() -> None:
    """`digest --once` with the app's image and secrets, never two runs at once, locked down."""
    cronjob = _cronjob()
    assert cronjob["spec"]["concurrencyPolicy"] == "Forbid"
    pod = cronjob["spec"]["jobTemplate"]["spec"]["template"]["spec"]
    (container,) = pod["containers"]
    assert container["args"][:2] == ["digest", "--once"]
    app = _pod(_deployment("slack"))["containers"][0]
    assert container["image"] == app["image"]
    env = {item["name"]: item["value"] for item in container["env"]}
    assert env["INTAKE_SECRETS_DIR"] == container["volumeMounts"][0]["mountPath"]
    assert pod["volumes"][0]["secret"]["secretName"] == "intake-bot"
    assert pod["securityContext"]["runAsNonRoot"] is True
    assert container["securityContext"]["readOnlyRootFilesystem"] is True
    # A run may post for a while (rate limits); it must end before the next one is due.
    grace = float(env["INTAKE_SHUTDOWN_GRACE_SECONDS"])
    deadline = cronjob["spec"]["jobTemplate"]["spec"]["activeDeadlineSeconds"]
    assert 2 * grace < deadline <= 5 * 60


def test_the_digest_runs_reach_redis_and_nothing_reaches_them() -> None:
    """Redis lets the CronJob's pods in; their own policy lets nothing in and only Redis, DNS, HTTPS out."""
    labels = _cronjob()["spec"]["jobTemplate"]["spec"]["template"]["metadata"]["labels"]
    policies = _manifests("network-policy.yaml")
    redis_rule = policies[("NetworkPolicy", "intake-bot-redis")]["spec"]["ingress"][0]
    assert any(_matches(peer["podSelector"]["matchLabels"], labels) for peer in redis_rule["from"])
    own = policies[("NetworkPolicy", "intake-bot-digest")]["spec"]
    assert _matches(own["podSelector"]["matchLabels"], labels)
    assert own["ingress"] == []
    ports = sorted(p["port"] for rule in own["egress"] for p in rule["ports"])
    assert ports == [53, 53, 443, 6379]
    # No Service of an app selects these pods, so no traffic is sent to a run.
    for app in APPS:
        service = _manifests(f"{app}.yaml")[("Service", f"intake-bot-{app}")]["spec"]["selector"]
        assert not _matches(service, labels)
