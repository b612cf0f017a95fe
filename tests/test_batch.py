"""The batch job (textpost.batch): one correct line per page, nothing lost on a kill, bad input as error lines.

The pipeline runs on a real 2-worker LocalCluster (one for the module), with CRAFT at a
small canvas so the tests stay quick; the boxes are compared with the same pipeline run
here, in this process.
"""
import json
import os
import re
import shutil
import signal
import subprocess
import sys
import time
from pathlib import Path

import numpy as np
import pytest

from textpost import batch
from textpost.data import DATA_DIR, SAMPLES, has_page_image, sample_path

ROOT = Path(__file__).resolve().parent.parent
CANVAS = 256
PAGES = [str(sample_path(n, "page")) for n in SAMPLES if has_page_image(n)]


@pytest.fixture(scope="module")
def client():
    from distributed import Client
    cluster = batch.start_local_cluster(2)
    c = Client(cluster)
    yield c
    c.close()
    cluster.close()


def in_process(path, level):
    """The pipeline run directly here: read, CRAFT, level, page pixels (as the batch rounds them)."""
    from textpost.detector import run_craft
    from textpost.levels import get_level
    batch.pin_threads(1)
    textmap, linkmap, scale = run_craft(batch.read_page(path), canvas_size=CANVAS, threads=1)
    return np.round(get_level(level)(textmap, linkmap).astype(np.float64) * scale, 2)


def lines_of(path):
    return [json.loads(line) for line in Path(path).read_text().splitlines()]


def test_one_correct_line_per_page(client, tmp_path):
    out = tmp_path / "boxes.jsonl"
    summary = batch.run_batch(PAGES, out, canvas_size=CANVAS, client=client, log=lambda m: None)
    records = lines_of(out)
    assert len(PAGES) >= 3
    assert sorted(r["page"] for r in records) == sorted(os.path.abspath(p) for p in PAGES)
    assert summary.written == len(PAGES) and summary.errors == 0 and summary.lost == 0
    assert {r["worker"] for r in records} <= set(client.scheduler_info()["workers"])
    total = 0
    for r in records:
        assert r["ok"] and r["error"] is None, r
        assert r["level"] == summary.level
        want = in_process(r["page"], r["level"])
        got = np.array(r["boxes"], np.float64).reshape(-1, 4, 2)
        assert r["n_boxes"] == len(want) == len(got), r["page"]
        np.testing.assert_array_equal(got, want, err_msg=r["page"])
        assert set(r["seconds"]) == {"read", "network", "postprocess"}
        total += len(got)
    assert total > 0, "no page gave a box: the comparison would prove nothing"


def test_default_level_is_the_first_that_runs():
    assert batch.choose_level() in batch.LEVEL_PREFERENCE
    assert batch.choose_level("python") == "python"
    with pytest.raises(ValueError, match="unknown level 'nope'"):
        batch.choose_level("nope")


def test_bad_inputs_are_one_error_line_each(client, tmp_path):
    good = tmp_path / "good.png"
    shutil.copy(PAGES[0], good)
    corrupt = tmp_path / "corrupt.png"
    data = bytearray(Path(PAGES[0]).read_bytes())
    data[60:len(data) // 2] = bytes(len(data) // 2 - 60)     # a PNG header, then zeros: bad chunks
    corrupt.write_bytes(bytes(data))
    text = tmp_path / "notes.txt"
    text.write_text("not a page\n")
    empty = tmp_path / "empty.png"
    empty.write_bytes(b"")
    missing = tmp_path / "missing.png"
    out = tmp_path / "boxes.jsonl"
    pages = [good, corrupt, text, empty, missing]
    summary = batch.run_batch(pages, out, canvas_size=CANVAS, client=client, log=lambda m: None)
    by_page = {Path(r["page"]).name: r for r in lines_of(out)}
    assert len(lines_of(out)) == len(pages) == len(by_page)
    assert by_page["good.png"]["ok"] and by_page["good.png"]["n_boxes"] > 0
    expected = {"corrupt.png": "looks like a PNG image but could not be decoded",
                "notes.txt": "is not an image",
                "empty.png": r"is empty \(0 bytes\)",
                "missing.png": "FileNotFoundError: .*missing.png does not exist"}
    for name, message in expected.items():
        r = by_page[name]
        assert not r["ok"] and r["boxes"] == [] and r["n_boxes"] == 0, r
        assert re.search(message, r["error"]), (name, r["error"])
    assert summary.errors == 4 and summary.written == 5


def test_read_page_errors(tmp_path):
    folder = tmp_path / "nothing_here"
    folder.mkdir()
    with pytest.raises(ValueError, match="folder with no image files"):
        batch.read_page(folder)
    assert batch.expand_pages([folder]) == [str(folder)]
    with pytest.raises(TypeError, match="list of paths"):
        batch.expand_pages("one.png")


def test_folders_expand_to_their_images_once():
    pages = batch.expand_pages([DATA_DIR, PAGES[0], DATA_DIR])
    assert len(pages) == len(set(pages))
    assert os.path.abspath(PAGES[0]) in pages
    assert all(p.endswith(".png") for p in pages)


def test_output_drops_a_torn_last_line_and_refuses_a_foreign_file(tmp_path):
    out = tmp_path / "boxes.jsonl"
    good = json.dumps({"page": "/a.png", "ok": True}) + "\n"
    out.write_text(good + '{"page": "/b.png", "ok": tr')          # killed mid-write
    with batch.Output(out) as o:
        assert o.repaired and o.done == {"/a.png"}
        o.write({"page": "/b.png", "ok": True})
    assert [r["page"] for r in lines_of(out)] == ["/a.png", "/b.png"]
    out.write_text("hello\n" + good)
    with pytest.raises(ValueError, match="line 1, is not a record"):
        batch.Output(out)


def test_one_run_at_a_time(tmp_path):
    pytest.importorskip("fcntl")
    out = tmp_path / "boxes.jsonl"
    with batch.Output(out):
        with pytest.raises(RuntimeError, match="being written by another run"):
            batch.Output(out)


def test_threads_never_oversubscribe():
    assert batch.plan_local(cores=2) == (2, 1)
    assert batch.plan_local(threads=2, cores=2) == (1, 2)
    assert batch.plan_local(workers=1, cores=8) == (1, 1)
    with pytest.raises(ValueError, match="oversubscribed"):
        batch.plan_local(workers=2, threads=2, cores=2)
    with pytest.raises(ValueError, match="positive integer"):
        batch.plan_local(workers=0, cores=2)


def test_kill_midway_then_resume(client, tmp_path):
    folder = tmp_path / "pages"
    folder.mkdir()
    src = sample_path("real_rotated", "page")
    n = 12
    for i in range(n):
        shutil.copy(src, folder / f"p{i:02d}.png")
    out = tmp_path / "boxes.jsonl"
    env = dict(os.environ, PYTHONPATH=str(ROOT), TEXTPOST_PROGRESS="0")
    cmd = [sys.executable, "-m", "textpost.batch", str(folder), "--out", str(out), "--canvas-size", "128",
           "--workers", "2"]
    proc = subprocess.Popen(cmd, env=env, stdout=subprocess.DEVNULL, stderr=subprocess.DEVNULL,
                            start_new_session=True)
    try:
        deadline = time.time() + 240
        while time.time() < deadline and proc.poll() is None:
            if out.exists() and out.read_bytes().count(b"\n") >= 2:
                break
            time.sleep(0.02)
        assert proc.poll() is None, "the run ended before it could be killed"
        os.killpg(proc.pid, signal.SIGKILL)          # the client and its cluster, mid-way
    finally:
        proc.wait(30)
    before = batch.read_records(out)
    assert 2 <= len(before) < n, len(before)
    with open(out, "ab") as f:                      # as if the kill had cut a line short
        f.write(b'{"page": "' + str(folder / "p99").encode())
    summary = batch.run_batch([folder], out, canvas_size=128, client=client, log=lambda m: None)
    after = lines_of(out)                           # every line parses: the torn one is gone
    pages = [r["page"] for r in after]
    assert len(pages) == len(set(pages)) == n, "a page is missing or written twice"
    assert all(r["ok"] for r in after)
    assert after[:len(before)] == before, "the lines of the first run were changed"
    assert summary.skipped == len(before) and summary.written == n - len(before)
    again = batch.run_batch([folder], out, canvas_size=128, client=client, log=lambda m: None)
    assert again.written == 0 and again.skipped == n and len(lines_of(out)) == n
