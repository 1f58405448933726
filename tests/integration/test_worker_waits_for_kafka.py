"""A worker started before its broker (as `make run` starts them together) waits quietly: one line while it
waits, one when Kafka is there, and none of the client library's connection errors (seen: about 90 of them
per `make run`)."""
from __future__ import annotations

import json
import os
import subprocess
import sys
import tempfile
import time
from pathlib import Path

from vorort import broker as launcher

VORORT = str(Path(sys.executable).parent / "vorort")


def test_a_worker_waits_for_a_late_broker_with_one_line(tmp_path):
    port = launcher.free_port()
    env = {**os.environ, "VORORT_VAR_DIR": str(tmp_path / "var"), "KAFKA_BOOTSTRAP_SERVERS": f"127.0.0.1:{port}",
           "SMTP_URL": f"smtp://127.0.0.1:{launcher.free_port()}"}
    env.pop("PUBLISHING_DATABASE_URL", None)
    subprocess.run([VORORT, "migrate", "publishing"], env=env, check=True, capture_output=True, timeout=300)
    log_path = tmp_path / "worker.log"
    with open(log_path, "w") as log:
        worker = subprocess.Popen([VORORT, "worker", "publishing"], env=env, stdout=log, stderr=subprocess.STDOUT)
    broker = None
    try:
        deadline = time.monotonic() + 120
        while "waiting for Kafka" not in log_path.read_text():
            assert worker.poll() is None, log_path.read_text()
            assert time.monotonic() < deadline, "the worker never said it waits"
            time.sleep(0.5)
        time.sleep(8)  # the broker is late: several retries happen meanwhile
        broker = launcher.start(Path(tempfile.mkdtemp(prefix="vorort-late-kafka-")) / "node", port=port)
        deadline = time.monotonic() + 300
        while "worker started" not in log_path.read_text():
            assert worker.poll() is None, log_path.read_text()
            assert time.monotonic() < deadline, "the worker did not start after the broker came"
            time.sleep(0.5)
    finally:
        worker.terminate()
        worker.wait(60)
        if broker is not None:
            broker.stop()
    records = [json.loads(line) for line in log_path.read_text().splitlines() if line.startswith("{")]
    before_start = records[:next(i for i, r in enumerate(records) if r["message"] == "worker started")]
    assert [r["message"] for r in before_start if r["logger"] == "shared.kafka"] == [
        "waiting for Kafka (its topics and group coordinator)", "Kafka ready"]
    noise = [r for r in records if r["logger"].startswith("kafka") and r["level"] in ("WARNING", "ERROR")]
    assert noise == [], noise[:3]
    assert len(log_path.read_text().splitlines()) <= 6, log_path.read_text()
