"""Bad input across every command: one ``trtkit: error:`` line naming the file or flag, the right exit code
(2 for flags, 1 for files and data), no traceback, nothing written, nothing there before changed.

``{R}`` in an argument is the folder of broken inputs (see conftest.py), ``{M}`` the project's MNIST model.
"""

from __future__ import annotations

import pytest

from reliability.broken import FAST, MODEL

# (id, args, exit code, what the error line must name)
BUILD = [
    ("missing-model", ["build", "--onnx", "{R}/absent.onnx"], 1, "absent.onnx"),
    ("model-is-dir", ["build", "--onnx", "{R}/empty_dir"], 2, "--onnx"),
    ("garbage-model", ["build", "--onnx", "{R}/garbage.onnx"], 1, "garbage.onnx"),
    ("truncated-model", ["build", "--onnx", "{R}/truncated.onnx"], 1, "truncated.onnx"),
    ("opset-newer-than-onnx", ["build", "--onnx", "{R}/opset_new.onnx"], 1, "opset"),
    ("external-data-missing", ["build", "--onnx", "{R}/external/model.onnx"], 1, "model.weights"),
    ("mempool-beyond-size_t", ["build", "--onnx", "{M}", "--memPoolSize", "workspace:99999999999999999999G"], 2,
     "--memPoolSize"),
    ("mempool-unknown-pool", ["build", "--onnx", "{M}", "--memPoolSize", "dram:1G"], 2, "--memPoolSize"),
    ("mempool-bad-size", ["build", "--onnx", "{M}", "--memPoolSize", "workspace:lots"], 2, "--memPoolSize"),
    ("save-into-missing-dir", ["build", "--onnx", "{M}", "--saveEngine", "{R}/nowhere/m.plan"], 1, "nowhere"),
    ("save-onto-dir", ["build", "--onnx", "{M}", "--saveEngine", "{R}/empty_dir"], 2, "--saveEngine"),
    ("save-over-the-model", ["build", "--onnx", "{R}/model.onnx", "--saveEngine", "{R}/model.onnx"], 2,
     "--saveEngine"),
    ("int8-nan-calibration", ["build", "--onnx", "{M}", "--int8", "--calib", "{R}/nan.npy"], 1, "nan.npy"),
    ("int8-object-npz", ["build", "--onnx", "{M}", "--int8", "--calib", "{R}/objects.npz"], 1, "objects.npz"),
    ("int8-broken-cache", ["build", "--onnx", "{M}", "--int8", "--calibCache", "{R}/garbage.cache"], 1,
     "garbage.cache"),
    ("int8-cache-of-another-model", ["build", "--onnx", "{M}", "--int8", "--calibCache", "{R}/foreign.cache"], 1,
     "foreign.cache"),
    ("int8-no-data", ["build", "--onnx", "{M}", "--int8", "--calib", "{R}/absent_dir"], 1, "absent_dir"),
    ("bad-min-shapes", ["build", "--onnx", "{M}", "--minShapes", "input:axb", "--optShapes", "input:1x1x28x28",
                        "--maxShapes", "input:1x1x28x28"], 2, "--minShapes"),
    ("optimization-level", ["build", "--onnx", "{M}", "--builderOptimizationLevel", "9"], 2,
     "--builderOptimizationLevel"),
    ("layer-info-onto-dir", ["build", "--onnx", "{M}", "--exportLayerInfo", "{R}/empty_dir"], 2, "--exportLayerInfo"),
    ("trtexec-flag-not-yet", ["build", "--onnx", "{M}", "--sparsity=enable"], 2, "--sparsity"),
]
INFER = [
    ("missing-model", ["infer", "{R}/absent.onnx", "{R}/nan.npy"], 1, "absent.onnx"),
    ("noise-plan", ["infer", "{R}/noise.plan", "{R}/nan.npy"], 1, "noise.plan"),
    ("empty-plan", ["infer", "{R}/empty.plan", "{R}/nan.npy"], 1, "empty.plan"),
    ("opset-newer-than-onnx", ["infer", "{R}/opset_new.onnx"], 1, "opset"),
    ("external-data-missing", ["infer", "{R}/external/model.onnx"], 1, "model.weights"),
    ("missing-input", ["infer", "{M}", "{R}/absent.png"], 1, "absent.png"),
    ("unknown-input-type", ["infer", "{M}", "{R}/input.txt"], 2, "input.txt"),
    ("object-npz", ["infer", "{M}", "{R}/objects.npz"], 1, "objects.npz"),
    ("empty-npy", ["infer", "{M}", "{R}/empty.npy"], 1, "empty.npy"),
    ("string-npy", ["infer", "{M}", "{R}/strings.npy"], 1, "strings.npy"),
    ("pickle-as-npy", ["infer", "{M}", "{R}/pickle.npy"], 1, "pickle.npy"),
    ("wrong-shape-npy", ["infer", "{M}", "{R}/wrong_shape.npy"], 1, "wrong_shape.npy"),
    ("broken-png", ["infer", "{M}", "{R}/broken.png"], 1, "broken.png"),
    ("truncated-pgm", ["infer", "{M}", "{R}/truncated.pgm"], 1, "truncated.pgm"),
    ("zero-batch-shapes", ["infer", "{M}", "--shapes", "input:0x1x28x28"], 2, "--shapes"),
    ("bad-shapes-syntax", ["infer", "{M}", "--shapes", "input=1x1x28x28"], 2, "--shapes"),
    ("shapes-unknown-input", ["infer", "{M}", "--shapes", "pixels:1x1x28x28"], 2, "--shapes"),
    ("huge-batch", ["infer", "{M}", "--shapes", "input:100000000x1x28x28"], 1, "--shapes"),
    ("load-inputs-spec", ["infer", "{M}", "--loadInputs", "input"], 2, "--loadInputs"),
    ("raw-input-dynamic", ["infer", "{M}", "--loadInputs", "input:{R}/raw.bin"], 2, "--loadInputs"),
    ("raw-input-wrong-size", ["infer", "{M}", "--loadInputs", "input:{R}/raw.bin", "--shapes", "input:1x1x28x28"],
     1, "raw.bin"),
    ("export-onto-dir", ["infer", "{M}", "{R}/nan.npy", "--exportOutput", "{R}/empty_dir"], 1, "empty_dir"),
    ("export-kept-on-failure", ["infer", "{M}", "{R}/empty.npy", "--exportOutput", "{R}/existing.json"], 1,
     "empty.npy"),
    ("export-into-missing-dir", ["infer", "{M}", "{R}/nan.npy", "--exportOutput", "{R}/nowhere/o.json"], 1,
     "nowhere"),
]
BENCH = [
    ("missing-model", ["bench", "{R}/absent.plan", *FAST], 1, "absent.plan"),
    ("model-twice", ["bench", "{R}/noise.plan", "--loadEngine", "{R}/noise.plan", *FAST], 2, "--loadEngine"),
    ("percentile-above-100", ["bench", "--onnx", "{M}", "--percentile", "50,101", *FAST], 2, "--percentile"),
    ("percentile-not-a-number", ["bench", "--onnx", "{M}", "--percentile", "p99", *FAST], 2, "--percentile"),
    ("duration-negative", ["bench", "--onnx", "{M}", "--duration", "-0.5"], 2, "--duration"),
    ("export-times-onto-dir", ["bench", "--onnx", "{M}", "--exportTimes", "{R}/empty_dir", *FAST], 2,
     "--exportTimes"),
    ("export-times-missing-dir", ["bench", "--onnx", "{M}", "--exportTimes", "{R}/nowhere/t.json", *FAST], 1,
     "--exportTimes"),
    ("export-kept-on-failure", ["bench", "--onnx", "{M}", "--loadInputs", "input:{R}/empty.npy", "--exportTimes",
                                "{R}/existing.json", *FAST], 1, "empty.npy"),
    ("plot-suffix", ["bench", "--onnx", "{M}", "--plot", "{R}/plot.txt", *FAST], 2, "--plot"),
    ("load-inputs-unknown", ["bench", "--onnx", "{M}", "--loadInputs", "pixels:{R}/nan.npy", *FAST], 2,
     "--loadInputs"),
    ("load-inputs-object-npz", ["bench", "--onnx", "{M}", "--loadInputs", "input:{R}/objects.npz", *FAST], 1,
     "objects.npz"),
    ("zero-batch-shapes", ["bench", "--onnx", "{M}", "--shapes", "input:0x1x28x28", *FAST], 2, "--shapes"),
    ("huge-batch", ["bench", "--onnx", "{M}", "--shapes", "input:100000000x1x28x28", *FAST], 1, "--shapes"),
    ("onnxruntime-allocation-fails", ["bench", "--onnx", "{R}/expand_huge.onnx", "--shapes", "x:4x1", *FAST], 1,
     "Failed to allocate memory for requested buffer of size 1600000000000 (inputs x 4x1; lower the batch in "
     "--shapes)"),
    ("export-profile-on-onnxruntime", ["bench", "--onnx", "{M}", "--exportProfile", "{R}/p.json", *FAST], 2,
     "--exportProfile"),
    ("save-engine-without-build", ["bench", "--onnx", "{M}", "--saveEngine", "{R}/m.plan", *FAST], 2,
     "--saveEngine"),
    ("opset-newer-than-onnx", ["bench", "--onnx", "{R}/opset_new.onnx", *FAST], 1, "opset"),
]
COMPARE = [
    ("no-candidate", ["compare", "{M}"], 2, "CANDIDATE"),
    ("missing-reference", ["compare", "{R}/absent.onnx", "{M}"], 1, "absent.onnx"),
    ("noise-candidate", ["compare", "{M}", "{R}/noise.plan"], 1, "noise.plan"),
    ("garbage-candidate", ["compare", "{M}", "{R}/garbage.onnx"], 1, "garbage.onnx"),
    ("negative-atol", ["compare", "{M}", "{M}", "--atol", "-1"], 2, "--atol"),
    ("unknown-option", ["compare", "{M}", "{M}", "--tolerance", "1"], 2, "--tolerance"),
    ("missing-input", ["compare", "{M}", "{M}", "{R}/absent.npy"], 1, "absent.npy"),
    ("object-npz-input", ["compare", "{M}", "{M}", "{R}/objects.npz"], 1, "objects.npz"),
    ("bad-shapes", ["compare", "{M}", "{M}", "--shapes", "input:1xx28"], 2, "--shapes"),
    ("external-data-missing", ["compare", "{M}", "{R}/external/model.onnx"], 1, "model.weights"),
]
EVAL = [
    ("no-arguments-at-all", ["eval", "{M}"], 2, "DATA"),
    ("missing-data", ["eval", "{M}", "{R}/absent_dir"], 1, "absent_dir"),
    ("empty-data-dir", ["eval", "{M}", "{R}/empty_dir"], 1, "empty_dir"),
    ("not-a-classifier", ["eval", "{R}/identity.onnx", "{MNIST}", "--limit", "20"], 1, "identity.onnx"),
    ("limit-zero", ["eval", "{M}", "{MNIST}", "--limit", "0"], 2, "--limit"),
    ("split-unknown", ["eval", "{M}", "{MNIST}", "--split", "validation"], 2, "--split"),
    ("missing-model", ["eval", "{R}/absent.onnx", "{MNIST}"], 1, "absent.onnx"),
    ("noise-plan", ["eval", "{R}/noise.plan", "{MNIST}", "--limit", "5"], 1, "noise.plan"),
]
INSPECT = [
    ("missing-file", ["inspect", "{R}/absent.onnx"], 1, "absent.onnx"),
    ("directory", ["inspect", "{R}/empty_dir"], 1, "empty_dir"),
    ("garbage-model", ["inspect", "{R}/garbage.onnx"], 1, "garbage.onnx"),
    ("truncated-model", ["inspect", "{R}/truncated.onnx"], 1, "truncated.onnx"),
    ("noise-plan", ["inspect", "{R}/noise.plan"], 1, "noise.plan"),
    ("empty-plan", ["inspect", "{R}/empty.plan"], 1, "empty.plan"),
    ("array-as-plan", ["inspect", "{R}/nan.npy"], 1, "nan.npy"),
    ("unknown-option", ["inspect", "{M}", "--layers"], 2, "--layers"),
]
DEBUG = [
    ("missing-model", ["debug", "precision", "{R}/absent.onnx"], 1, "absent.onnx"),
    ("garbage-model", ["debug", "precision", "{R}/garbage.onnx"], 1, "garbage.onnx"),
    ("opset-newer-than-onnx", ["debug", "precision", "{R}/opset_new.onnx"], 1, "opset"),
    ("external-data-missing", ["debug", "precision", "{R}/external/model.onnx"], 1, "model.weights"),
    ("input-range-reversed", ["debug", "precision", "{M}", "--inputRange", "1,0"], 2, "--inputRange"),
    ("input-range-not-numbers", ["debug", "precision", "{M}", "--inputRange", "low,high"], 2, "--inputRange"),
    ("object-npz-input", ["debug", "precision", "{M}", "{R}/objects.npz"], 1, "objects.npz"),
    ("eval-data-missing", ["debug", "precision", "{M}", "--eval", "{R}/absent_dir"], 1, "absent_dir"),
    ("save-onto-dir", ["debug", "precision", "{M}", "--saveLayerPrecisions", "{R}/empty_dir"], 2,
     "--saveLayerPrecisions"),
    ("unknown-subcommand", ["debug", "layers", "{M}"], 2, "layers"),
]
TOP = [
    ("unknown-command", ["convert", "{M}"], 2, "convert"),
    ("verbose-and-quiet", ["infer", "{M}", "--verbose", "--quiet"], 2, "--quiet"),
]
CASES = [(f"{group}-{case[0]}", *case[1:]) for group, cases in
         (("build", BUILD), ("infer", INFER), ("bench", BENCH), ("compare", COMPARE), ("eval", EVAL),
          ("inspect", INSPECT), ("debug", DEBUG), ("top", TOP))
         for case in cases]


def test_there_are_at_least_sixty_cases() -> None:
    assert len(CASES) >= 60


@pytest.mark.parametrize(("args", "code", "names"), [c[1:] for c in CASES], ids=[c[0] for c in CASES])
def test_bad_input_is_one_line(bad, mnist_dir, args: list[str], code: int, names: str) -> None:
    filled = [a.replace("{R}", str(bad.root)).replace("{M}", str(MODEL)).replace("{MNIST}", str(mnist_dir))
              for a in args]
    bad(*filled, code=code, names=names.replace("{R}", str(bad.root)))
