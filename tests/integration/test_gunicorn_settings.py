"""Every gunicorn of the platform starts without a control socket (gunicorn.conf.py): with one at the shared
default path, make run's eight gunicorns contended for it (one logged "Control server error: Address already
in use"), and the socket could stop or reconfigure the server holding it."""
from __future__ import annotations

import os
import subprocess
import sys

import pytest
import requests

from shared.config import REPO_ROOT
from support import eventually
from vorort.broker import free_port

pytestmark = pytest.mark.integration


def test_two_gunicorns_started_like_make_run_open_no_control_socket_and_log_no_error(tmp_path):
    home = tmp_path / "home"
    home.mkdir()
    env = {**os.environ, "HOME": str(home)}  # the default control socket would be $HOME/.gunicorn/gunicorn.ctl
    app = tmp_path / "hello.py"
    app.write_text("def app(environ, start_response):\n"
                   "    start_response('200 OK', [('Content-Type', 'text/plain')])\n    return [b'ok']\n")
    env["PYTHONPATH"] = str(tmp_path)
    ports = [free_port(), free_port()]
    logs = [tmp_path / f"gunicorn-{port}.log" for port in ports]
    processes = [subprocess.Popen([sys.executable, "-m", "gunicorn", "--bind", f"127.0.0.1:{port}", "hello:app"],
                                  cwd=REPO_ROOT, env=env, stdout=log.open("wb"), stderr=subprocess.STDOUT)
                 for port, log in zip(ports, logs, strict=True)]
    try:
        for port in ports:
            eventually(lambda port=port: _answers(port), timeout=30, message=f"gunicorn on {port}")
    finally:
        for process in processes:  # stopped first: then each log holds all that its start wrote
            process.terminate()
            process.wait(timeout=30)
    for log in logs:
        text = log.read_text(errors="replace")
        assert "Listening at" in text and "Control s" not in text, text
    assert not (home / ".gunicorn").exists()


def test_gunicorn_started_in_the_repository_reads_the_platforms_settings():
    # What gunicorn itself makes of its command line and the settings file of the folder it starts in.
    read = subprocess.run([sys.executable, "-c", "import sys; sys.argv = ['gunicorn', 'hello:app']\n"
                           "from gunicorn.app.wsgiapp import WSGIApplication\n"
                           "print(WSGIApplication().cfg.control_socket_disable)"],
                          cwd=REPO_ROOT, capture_output=True, text=True, check=True)
    assert read.stdout.strip() == "True"


def _answers(port: int) -> bool:
    try:
        return requests.get(f"http://127.0.0.1:{port}/", timeout=1).text == "ok"
    except requests.RequestException:
        return False
