"""A Keycloak server for the external-issuer test: the server distribution from Maven Central, run in
development mode on a free port. Nothing here is used by the platform itself.

    fetch()            -> the unpacked distribution under var/keycloak/ (Maven `dependency:copy`, once)
    start(port)        -> a running server with an admin account; `.stop()` ends it
The pinned version is one Maven Central serves; Keycloak 26 wants Java 21 or newer, so the launcher picks
the newest JDK it finds (JAVA_HOME, then /usr/lib/jvm/*, then `java` on the PATH).
"""
from __future__ import annotations

import os
import re
import secrets
import shutil
import signal
import subprocess
import tarfile
import time
from dataclasses import dataclass
from pathlib import Path

import requests

from shared.config import REPO_ROOT

VERSION = "26.5.6"
ARTIFACT = f"org.keycloak:keycloak-quarkus-dist:{VERSION}:tar.gz"
MINIMUM_JAVA = 21


def home() -> Path:
    """Shared by every server this checkout starts, tests included (they use another var/)."""
    return REPO_ROOT / "var" / "keycloak" / f"keycloak-{VERSION}"


def fetch() -> Path:
    """The unpacked distribution; fetched with Maven into var/keycloak once."""
    target = home()
    if (target / "bin" / "kc.sh").exists():
        return target
    downloads = target.parent
    downloads.mkdir(parents=True, exist_ok=True)
    subprocess.run(["mvn", "-q", "-B", "dependency:copy", f"-Dartifact={ARTIFACT}",
                    f"-DoutputDirectory={downloads}"], check=True, cwd=downloads)
    archive = downloads / f"keycloak-quarkus-dist-{VERSION}.tar.gz"
    staging = downloads / f".unpack-{secrets.token_hex(4)}"
    with tarfile.open(archive) as tar:
        tar.extractall(staging, filter="data")
    os.replace(staging / f"keycloak-{VERSION}", target)
    shutil.rmtree(staging, ignore_errors=True)
    archive.unlink()
    return target


def _java_major(java: Path) -> int:
    try:
        out = subprocess.run([str(java), "-version"], capture_output=True, text=True, timeout=30).stderr
    except (OSError, subprocess.SubprocessError):
        return 0
    found = re.search(r'version "(\d+)', out)
    return int(found.group(1)) if found else 0


def java_home() -> Path:
    """The newest JDK at hand, if it is new enough for Keycloak."""
    candidates = []
    if os.environ.get("JAVA_HOME"):
        candidates.append(Path(os.environ["JAVA_HOME"]))
    candidates += sorted(Path("/usr/lib/jvm").glob("*")) if Path("/usr/lib/jvm").exists() else []
    on_path = shutil.which("java")
    if on_path:
        candidates.append(Path(os.path.realpath(on_path)).parent.parent)
    found = [(_java_major(c / "bin" / "java"), c) for c in candidates if (c / "bin" / "java").exists()]
    best_version, best_home = max(found) if found else (0, Path())
    if best_version < MINIMUM_JAVA:
        raise RuntimeError(f"Keycloak {VERSION} needs Java {MINIMUM_JAVA}+; found at most Java {best_version}")
    return best_home


@dataclass
class Keycloak:
    url: str
    admin_user: str
    admin_password: str
    process: subprocess.Popen
    log_path: Path

    def admin_token(self) -> str:
        response = requests.post(f"{self.url}/realms/master/protocol/openid-connect/token", timeout=30, data={
            "grant_type": "password", "client_id": "admin-cli", "username": self.admin_user,
            "password": self.admin_password})
        response.raise_for_status()
        return response.json()["access_token"]

    def stop(self) -> None:
        if self.process.poll() is None:
            os.killpg(self.process.pid, signal.SIGTERM)
            try:
                self.process.wait(30)
            except subprocess.TimeoutExpired:
                os.killpg(self.process.pid, signal.SIGKILL)
                self.process.wait(10)


def start(port: int, log_path: Path, timeout_s: float = 900.0) -> Keycloak:
    """`kc.sh start-dev` on 127.0.0.1:`port` (in-memory dev database), with a fresh admin account."""
    distribution = fetch()
    user, password = "vorort-admin", secrets.token_urlsafe(16)
    env = dict(os.environ, JAVA_HOME=str(java_home()), KC_BOOTSTRAP_ADMIN_USERNAME=user,
               KC_BOOTSTRAP_ADMIN_PASSWORD=password, JAVA_OPTS_KC_HEAP="-Xms64m -Xmx512m")
    log = open(log_path, "ab")
    process = subprocess.Popen(
        [str(distribution / "bin" / "kc.sh"), "start-dev", f"--http-port={port}", "--http-host=127.0.0.1",
         "--hostname-strict=false", "--health-enabled=false", "--cache=local", "--db=dev-mem"],
        cwd=distribution, env=env, stdout=log, stderr=subprocess.STDOUT, start_new_session=True)
    server = Keycloak(f"http://127.0.0.1:{port}", user, password, process, log_path)
    deadline = time.monotonic() + timeout_s
    while time.monotonic() < deadline:
        if process.poll() is not None:
            raise RuntimeError(f"Keycloak exited with {process.returncode}; see {log_path}")
        try:
            if requests.get(f"{server.url}/realms/master", timeout=2).status_code == 200:
                return server
        except requests.RequestException:
            pass
        time.sleep(1)
    server.stop()
    raise RuntimeError(f"Keycloak not up within {timeout_s}s; see {log_path}")
