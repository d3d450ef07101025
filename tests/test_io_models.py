"""Plans whose I/O TensorRT sizes at run time, built for real with the TensorRT-RTX builder from the ONNX
models scripts/make_io_models.py writes (tests/data/models): TopK with a computed k, TopK whose k comes
through a shape-tensor input, Reshape driven by a shape-tensor input, and NonZero (which TensorRT-RTX 1.7
cannot build: asserted as it stands). The I/O is read back from the parsed INetworkDefinition (shape-tensor
flag, -1 dimensions); TensorRT-RTX cannot deserialize a plan on a machine without a GPU, so the engine's own
view (locations, formats, profile values) is checked through the stand-in: tests/gpu/test_runner_io.py on
the GPU, tests/test_runner_io_cpu.py for what needs none."""

from __future__ import annotations

import subprocess
import sys
from pathlib import Path

import pytest

from trtkit.backends.plans import lean_runtime_embedded
from trtkit.builder.builder import BuildOptions, build
from trtkit.builder.profiles import profiles_from_flags
from trtkit.platform.errors import TrtkitError, UsageError

trt = pytest.importorskip("tensorrt_rtx", reason="tensorrt-rtx is not installed (pip install 'trtkit[rtx]')")

REPO = Path(__file__).resolve().parents[1]
MODELS = REPO / "tests" / "data" / "models"


def _network(path: Path) -> dict[str, tuple[tuple[int, ...], bool, bool]]:
    """Each I/O tensor of the parsed network: (dims, is_shape_tensor, is_input)."""
    logger = trt.Logger(trt.Logger.ERROR)
    builder = trt.Builder(logger)
    network = builder.create_network(0)
    parser = trt.OnnxParser(network, logger)
    assert parser.parse_from_file(str(path)), [parser.get_error(i).desc() for i in range(parser.num_errors)]
    tensors = [network.get_input(i) for i in range(network.num_inputs)]
    tensors += [network.get_output(i) for i in range(network.num_outputs)]
    return {t.name: (tuple(t.shape), t.is_shape_tensor, t.is_network_input) for t in tensors}


def test_the_committed_models_are_what_the_script_writes(tmp_path: Path) -> None:
    subprocess.run([sys.executable, str(REPO / "scripts" / "make_io_models.py"), str(tmp_path)], check=True,
                   capture_output=True)
    for made in sorted(tmp_path.glob("*.onnx")):
        assert made.read_bytes() == (MODELS / made.name).read_bytes(), made.name


def test_reshape_driven_by_a_shape_tensor_input_builds_with_value_profiles(tmp_path: Path) -> None:
    path = MODELS / "reshape_shape_input.onnx"
    assert _network(path) == {
        "data": ((12,), False, True),
        "shape": ((2,), True, True),  # TensorRT reads its values on the host
        "y": ((-1, -1), False, False),  # known once the values are
    }
    plan = tmp_path / "reshape.plan"
    result = build(BuildOptions(onnx=path, save_engine=plan, verbosity=-2,
                                profiles=profiles_from_flags(["shape:1x1"], ["shape:3x4"], ["shape:12x12"])))
    assert plan.read_bytes() == result.plan and len(result.plan) > 10_000
    (profile,) = result.profiles
    assert profile.shape_tensors == {"shape"}
    assert (profile.min["shape"], profile.opt["shape"], profile.max["shape"]) == ((1, 1), (3, 4), (12, 12))


def test_a_shape_tensor_without_value_flags_gets_trtexecs_ones(capsys: pytest.CaptureFixture[str]) -> None:
    result = build(BuildOptions(onnx=MODELS / "topk_k_input.onnx", verbosity=-2))
    (profile,) = result.profiles
    assert profile.opt["k_in"] == (1, 1, 1)
    assert "shape tensor 'k_in' has no value flags; using values [1, 1, 1]" in capsys.readouterr().err


def test_shape_tensor_values_must_match_its_size() -> None:
    with pytest.raises(UsageError, match=r"gives shape tensor 'shape' 3 values, but it holds 2 = 2"):
        build(BuildOptions(onnx=MODELS / "reshape_shape_input.onnx", verbosity=-2,
                           profiles=profiles_from_flags([], ["shape:3x4x1"], [])))


def test_topk_with_k_from_a_shape_tensor_input_builds() -> None:
    path = MODELS / "topk_k_input.onnx"
    assert _network(path) == {
        "x": ((16,), False, True),
        "k_in": ((3,), True, True),  # k = ReduceMax(k_in): a value TensorRT needs on the host
        "values": ((-1,), False, False),
        "indices": ((-1,), False, False),
    }
    result = build(BuildOptions(onnx=path, verbosity=-2,
                                profiles=profiles_from_flags(["k_in:1x1x1"], ["k_in:3x4x2"], ["k_in:16x16x16"])))
    assert result.outputs == {"values": (-1,), "indices": (-1,)} and len(result.plan) > 10_000


def test_topk_with_k_computed_from_the_input_shape_builds() -> None:
    path = MODELS / "topk_computed_k.onnx"
    assert _network(path) == {
        "x": ((-1, -1), False, True),
        "values": ((-1, -1), False, False),  # [N, C // 2]
        "indices": ((-1, -1), False, False),
    }
    result = build(BuildOptions(onnx=path, verbosity=-2,
                                profiles=profiles_from_flags(["x:1x2"], ["x:4x8"], ["x:16x64"])))
    assert result.inputs == {"x": (-1, -1)} and len(result.plan) > 10_000


def test_tensorrt_rtx_cannot_build_nonzero_yet() -> None:
    """TensorRT-RTX 1.7's ONNX parser imports NonZero as a plugin its registry lacks, and its builder has no
    implementation of INonZeroLayer either: the data-dependent path is proven on the GPU stand-in instead.
    When this starts failing, RTX builds NonZero: assert the plan and its (2, -1) output here."""
    with pytest.raises(TrtkitError, match="NonZero plugin creator version 1 was not found"):
        build(BuildOptions(onnx=MODELS / "nonzero.onnx", verbosity=-2))
    logger = trt.Logger(trt.Logger.INTERNAL_ERROR)
    builder = trt.Builder(logger)
    network = builder.create_network(0)
    layer = network.add_non_zero(network.add_input("x", trt.float32, (16,)))
    network.mark_output(layer.get_output(0))
    assert tuple(layer.get_output(0).shape) == (1, -1), "the count of nonzeros is a data-dependent dimension"
    assert builder.build_serialized_network(network, builder.create_builder_config()) is None


def test_version_compatible_plans_on_tensorrt_rtx(tmp_path: Path) -> None:
    """RTX's wheels ship no lean runtime to embed: --versionCompatible alone fails with a hint, and
    --excludeLeanRuntime builds; whether a plan embeds one is only known where it can be deserialized."""
    path = MODELS / "reshape_shape_input.onnx"
    profiles = profiles_from_flags(["shape:1x1"], ["shape:3x4"], ["shape:12x12"])
    with pytest.raises(TrtkitError, match=r"libnvinfer_lean.*add --excludeLeanRuntime\)$"):
        build(BuildOptions(onnx=path, profiles=profiles, version_compatible=True, verbosity=-2))
    plan = tmp_path / "vc.plan"
    build(BuildOptions(onnx=path, save_engine=plan, profiles=profiles, version_compatible=True,
                       exclude_lean_runtime=True, verbosity=-2))
    assert plan.stat().st_size > 10_000
    assert lean_runtime_embedded(plan, "rtx") is None, "no GPU here: TensorRT-RTX cannot deserialize it"
    with pytest.raises(UsageError, match="--excludeLeanRuntime applies to version-compatible plans"):
        build(BuildOptions(onnx=path, profiles=profiles, exclude_lean_runtime=True))


def test_the_cli_builds_shape_tensor_profiles_and_refuses_misplaced_flags(capsys: pytest.CaptureFixture[str],
                                                                         tmp_path: Path) -> None:
    from helpers import cli

    plan = tmp_path / "reshape.plan"
    code, _, err = cli(capsys, "build", "--onnx", MODELS / "reshape_shape_input.onnx", "--saveEngine", plan,
                       "--minShapes=shape:1x1", "--optShapes=shape:3x4", "--maxShapes=shape:12x12", "--skipInference")
    assert code == 0 and plan.stat().st_size > 10_000
    assert "Optimization profile 0: shape values min 1x1 opt 3x4 max 12x12" in err
    code, _, err = cli(capsys, "build", "--onnx", MODELS / "reshape_shape_input.onnx", "--excludeLeanRuntime")
    assert code != 0 and "--excludeLeanRuntime applies to version-compatible plans; add --versionCompatible" in err
    code, _, err = cli(capsys, "infer", MODELS / "reshape_shape_input.onnx", "--versionCompatible")
    assert code != 0 and "--versionCompatible applies to TensorRT plans" in err
