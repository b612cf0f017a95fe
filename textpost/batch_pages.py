"""The pages of a batch job (``python -m textpost.batch``): finding and reading them, the task
that does one page on a Dask worker (read, CRAFT, a level; a bad page becomes an error record),
and the JSON-lines output file (resume, a torn last line dropped, the lock, one line per page).

The task functions are module-level so that the workers, in other processes, can import them.
"""
from __future__ import annotations

import json
import os
import time
from pathlib import Path

import numpy as np

#: what a folder is searched for (other files in a folder are ignored; a file named on the
#: command line is always tried, and gets an error line when it is not an image)
IMAGE_SUFFIXES = (".png", ".jpg", ".jpeg", ".tif", ".tiff", ".bmp", ".webp", ".jp2", ".pbm", ".pgm", ".ppm")
#: first bytes of the image formats OpenCV reads, to tell "corrupt image" from "not an image"
_SIGNATURES = {b"\x89PNG": "PNG", b"\xff\xd8\xff": "JPEG", b"II*\x00": "TIFF", b"MM\x00*": "TIFF",
               b"BM": "BMP", b"RIFF": "WebP", b"\x00\x00\x00\x0cjP": "JPEG 2000"}


# --------------------------------------------------------------------------- pages in

def expand_pages(paths) -> list[str]:
    """The pages to do, as absolute paths, in order, each once.

    A folder stands for the image files under it (by suffix, sorted, recursively); a folder
    holding none stays in the list as itself (its line will say so).  Anything else is kept
    as given, existing or not: a missing path gets its error line like any bad page.
    """
    if isinstance(paths, (str, os.PathLike)):
        raise TypeError("pages must be a list of paths, not one path")
    out, seen = [], set()
    for p in paths:
        p = Path(p)
        found = [p]
        if p.is_dir():
            images = sorted(f for f in p.rglob("*") if f.is_file() and f.suffix.lower() in IMAGE_SUFFIXES)
            found = images or [p]
        for f in found:
            key = os.path.abspath(f)
            if key not in seen:
                seen.add(key)
                out.append(key)
    return out


def read_page(path) -> np.ndarray:
    """The page at ``path`` as an RGB uint8 (H, W, 3) array, or a clear error.

    ``FileNotFoundError`` for a missing path; ``ValueError`` for a folder with no images, an
    empty file, a file that is not an image, and an image file that cannot be decoded.
    """
    import cv2
    path = Path(path)
    if not path.exists():
        raise FileNotFoundError(f"{path} does not exist")
    if path.is_dir():
        raise ValueError(f"{path} is a folder with no image files ({', '.join(IMAGE_SUFFIXES)})")
    data = np.fromfile(path, dtype=np.uint8)
    if data.size == 0:
        raise ValueError(f"{path} is empty (0 bytes)")
    kind = next((name for sig, name in _SIGNATURES.items() if data[:len(sig)].tobytes() == sig), None)
    image = cv2.imdecode(data, cv2.IMREAD_COLOR)
    if image is None:
        if kind is None:
            raise ValueError(f"{path} is not an image: its first bytes match no image format OpenCV reads")
        raise ValueError(f"{path} looks like a {kind} image but could not be decoded (corrupt or truncated)")
    return cv2.cvtColor(image, cv2.COLOR_BGR2RGB)


# --------------------------------------------------------------------------- one page, on a worker

_PINNED: dict = {}


def pin_threads(threads: int) -> dict:
    """Pin OpenCV (Python's cv2 and the C++ levels' own), numba and BLAS/OpenMP to ``threads``.

    onnxruntime's threads are set where its session is made (``run_craft(threads=...)``).
    Once per process and thread count; returns the settings in effect.
    """
    threads = int(threads)
    if threads < 1:
        raise ValueError(f"threads must be at least 1, got {threads}")
    if _PINNED.get("threads") != threads:
        for var in ("OMP_NUM_THREADS", "OPENBLAS_NUM_THREADS", "MKL_NUM_THREADS"):
            os.environ[var] = str(threads)
        from .timing import set_threads
        _PINNED.clear()
        _PINNED.update(set_threads(threads), threads=threads)
    return dict(_PINNED)


def _threads_here(threads) -> int:
    """Threads for this task: an int, or ``{host: threads}`` looked up with this worker's host."""
    if isinstance(threads, dict):
        try:
            from distributed import get_worker
            return threads.get(get_worker().address.rsplit(":", 1)[0], 1)
        except ValueError:            # not inside a worker (called directly)
            return 1
    return int(threads)


def process_page(path: str, level: str, threads=1, canvas_size: int = 1280,
                 runtime: str = "onnxruntime") -> dict:
    """Read one page, run CRAFT, then ``level``: the page's record (never raises for a bad page)."""
    from .detector import run_craft
    from .levels import get_level
    start = time.time()
    record = {"page": str(path), "ok": False, "level": level, "n_boxes": 0, "boxes": [],
              "image_size": None, "map_size": None, "scale": None,
              "seconds": {"read": 0.0, "network": 0.0, "postprocess": 0.0}, "worker": _worker_name(),
              "error": None}
    t = _threads_here(threads)
    try:
        pin_threads(t)
        t0 = time.perf_counter()
        image = read_page(path)
        t1 = time.perf_counter()
        textmap, linkmap, scale = run_craft(image, canvas_size=canvas_size, runtime=runtime, threads=t)
        t2 = time.perf_counter()
        boxes = get_level(level)(textmap, linkmap)
        t3 = time.perf_counter()
        record.update(ok=True, n_boxes=int(len(boxes)),
                      boxes=np.round(boxes.astype(np.float64) * scale, 2).tolist(),
                      image_size=list(image.shape[:2]), map_size=list(textmap.shape), scale=float(scale),
                      seconds={"read": t1 - t0, "network": t2 - t1, "postprocess": t3 - t2})
    except Exception as e:  # noqa: BLE001 - a bad page is one error line, not the end of the batch
        record["error"] = f"{type(e).__name__}: {e}"
    record["started_at"], record["finished_at"] = start, time.time()
    return record


def _worker_name() -> str:
    try:
        from distributed import get_worker
        return get_worker().address
    except (ImportError, ValueError):
        return f"pid {os.getpid()}"


# --------------------------------------------------------------------------- the output file

class Output:
    """The JSON-lines file of a batch: repaired and read on opening, appended to one line at a time.

    ``done`` holds the pages that already have a line.  ``repaired`` says whether a torn last
    line was dropped.  Only one :class:`Output` may hold a file at a time (an exclusive lock
    where the system has ``fcntl``).
    """

    def __init__(self, path):
        self.path = Path(path)
        if self.path.is_dir():
            raise ValueError(f"--out {self.path} is a folder; give a file name such as boxes.jsonl")
        self.path.parent.mkdir(parents=True, exist_ok=True)
        self.file = open(self.path, "a+b")
        try:
            self._lock()
            self.done, self.repaired = self._repair_and_read()
        except BaseException:
            self.file.close()
            raise

    def _lock(self):
        try:
            import fcntl
        except ImportError:           # Windows: no lock
            return
        try:
            fcntl.flock(self.file.fileno(), fcntl.LOCK_EX | fcntl.LOCK_NB)
        except OSError:
            raise RuntimeError(f"{self.path} is being written by another run; wait for it or "
                               f"choose another --out") from None

    def _repair_and_read(self):
        self.file.seek(0)
        data = self.file.read()
        keep = data.rfind(b"\n") + 1          # everything after the last newline is a torn line
        lines = data[:keep].split(b"\n")[:-1]
        done = set()
        for i, line in enumerate(lines):
            try:
                page = json.loads(line)["page"]
            except (ValueError, KeyError, TypeError):
                if i == len(lines) - 1:       # a torn line that happened to end in a newline byte
                    keep -= len(line) + 1
                    break
                raise ValueError(f"{self.path}, line {i + 1}, is not a record of textpost.batch; "
                                 f"is this the right --out file?") from None
            done.add(page)
        repaired = keep < len(data)
        if repaired:
            self.file.truncate(keep)
        return done, repaired

    def write(self, record: dict) -> None:
        """Append one record as one line and flush it to the operating system."""
        self.file.seek(0, os.SEEK_END)
        self.file.write(json.dumps(record, separators=(",", ":")).encode() + b"\n")
        self.file.flush()
        self.done.add(record["page"])

    def close(self):
        self.file.close()

    def __enter__(self):
        return self

    def __exit__(self, *exc):
        self.close()


def read_records(path) -> list[dict]:
    """The complete records of a batch output file (a torn last line is left out)."""
    data = Path(path).read_bytes()
    out = []
    for line in data[:data.rfind(b"\n") + 1].split(b"\n")[:-1]:
        try:
            out.append(json.loads(line))
        except ValueError:
            pass
    return out
