"""`make run`'s development mail server (deploy/Procfile, process `mail`) accepts mail and keeps every message
where a developer can read it (var/mail/new, one file per message). The test runs the Procfile's own command."""
from __future__ import annotations

import mailbox
import os
import smtplib
import subprocess
import time
from email.message import EmailMessage

import pytest

from shared.config import REPO_ROOT
from vorort.broker import free_port, port_open


def procfile_command(name: str) -> str:
    for line in (REPO_ROOT / "deploy" / "Procfile").read_text().splitlines():
        process, _, command = line.partition(":")
        if process.strip() == name:
            return command.strip()
    raise AssertionError(f"no process {name!r} in deploy/Procfile")


@pytest.fixture(params=["fresh", "left-by-an-older-run"])
def mail_sink(request, tmp_path):
    """The Procfile's `mail` command, run as honcho runs it (`sh -c`, from the app root), on a free port."""
    root = tmp_path / "checkout"
    (root / "var").mkdir(parents=True)
    (root / ".venv").symlink_to(REPO_ROOT / ".venv")
    if request.param == "left-by-an-older-run":
        (root / "var" / "mail").mkdir()  # what the old command left: a Maildir without tmp/new/cur
    command = procfile_command("mail")
    assert "127.0.0.1:8025" in command
    port = free_port()
    process = subprocess.Popen(["sh", "-c", command.replace("127.0.0.1:8025", f"127.0.0.1:{port}")], cwd=root,
                               stdout=subprocess.PIPE, stderr=subprocess.STDOUT, text=True,
                               start_new_session=True)
    deadline = time.monotonic() + 60
    while not port_open("127.0.0.1", port):
        assert process.poll() is None, process.stdout.read()
        assert time.monotonic() < deadline, "the mail sink did not listen within 60 s"
        time.sleep(0.2)
    yield root, port
    os.killpg(process.pid, 15)
    output = process.communicate(timeout=30)[0]
    assert "Traceback" not in output, output


def test_the_procfile_mail_sink_accepts_and_keeps_every_mail(mail_sink):
    root, port = mail_sink
    with smtplib.SMTP("127.0.0.1", port, timeout=30) as smtp:
        for number in range(3):
            message = EmailMessage()
            message["From"] = "netzwerk-vor-ort@example.org"
            message["To"] = f"mitglied{number}@example.org"
            message["Subject"] = f"Newsletter {number}"
            message.set_content("Ergebnisse der Strategiewerkstätten")
            assert smtp.send_message(message) == {}  # no recipient refused; a 500 would raise
    kept = mailbox.Maildir(root / "var" / "mail", create=False)
    subjects = sorted(message["Subject"] for message in kept)
    assert subjects == ["Newsletter 0", "Newsletter 1", "Newsletter 2"]
    assert len(list((root / "var" / "mail" / "new").iterdir())) == 3
    assert "Strategiewerkstätten" in (kept.get_message(next(iter(kept.keys()))).get_payload(decode=True)
                                      .decode())

