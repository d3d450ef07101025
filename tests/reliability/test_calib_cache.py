"""Calibration caches exactly as TensorRT writes them are read (and written back byte for byte): zero scales
printed ``0``, unpadded hex, names with spaces, brackets and colons, every calibrator's header from
TensorRT 5.x to 10.x and TensorRT-RTX. The caches below are verbatim excerpts of files TensorRT wrote
(sources in /tmp/research/calib_cache.md: NVIDIA's sampleINT8 README, a TensorRT 8.4.1 cache from
zhsky2017/TRT-Hackathon-2022-SegFormer, NVIDIA-AI-IOT/cuDLA-samples, a TAO TrafficCamNet cache)."""

from __future__ import annotations

import struct
from pathlib import Path

import pytest
from helpers import cli

from reliability.broken import MODEL
from trtkit.platform.errors import TrtkitError
from trtkit.precision.calib_cache import CalibrationTable, read_table, writer_name

TRT_8401 = b"""TRT-8401-EntropyCalibration2
input: 3caa54fc
371: 3caa54fc
376: 3caa54fc
380: 3cbe52af
(Unnamed Layer* 64) [Shuffle]_output: 0
366: 0
395: 3cbe52af
404: 3d5c11b5
(Unnamed Layer* 82) [Shuffle]_output: 3c56713e
405: 3c209a08
(Unnamed Layer* 85) [Shuffle]_output: 3b1d2336
491: 40021b0f
493: 3e821b0f
(Unnamed Layer* 179) [Shuffle]_output: 3e821b0f
(Unnamed Layer* 180) [Softmax]_output: 3a248d97
(Unnamed Layer* 2799) [Constant]_output: 3c010a14
3036: 3eca6457
3052: 3c010a14
(Unnamed Layer* 2811) [TopK]_output_1: 3a82c58b
(Unnamed Layer* 2811) [TopK]_output_2: 3e112b57
output: 3e112b57
"""
TRT_7000 = b"""TRT-7000-EntropyCalibration2
data: 3c008912
conv1: 3c88edfc
pool1: 3c88edfc
conv2: 3ddc858b
pool2: 3ddc858b
ip1: 3db6bd6e
ip2: 3e691968
prob: 3c010a14
"""
TRT_7202 = b"""TRT-7202-EntropyCalibration2
data: 3c008912
conv1: 3c60dd38
pool1: 3c60dd38
conv2: 3d895e44
pool2: 3d895e44
(Unnamed Layer* 4) [Fully Connected]_output: 3d65992f
ip1: 3d65ff18
ip2: 3e11094c
prob: 3c083ffd
"""
CUDLA_8600 = b"""TRT-8600-EntropyCalibration2
images: 3c00f9f4
/model.0/act/Mul_output_0: 3e6c9314
/model.1/act/Mul_output_0: 3e870ad0
/model.2/cv1/act/Mul_output_0: 3df899ac
/model.0/conv/Conv_output_0: 3e6c9314
/model.0/act/Sigmoid_output_0: 3e6c9314
"""
TAO_100300 = b"""TRT-100300-EntropyCalibration2
input_1:0: 3c010a14
conv1/convolution:0: 3d0b7086
output_bbox/BiasAdd:0: 3da418a9
"""
VERBATIM = [TRT_8401, TRT_7000, TRT_7202, CUDLA_8600, TAO_100300]


def _scale(hex_bits: str) -> float:
    return struct.unpack(">f", bytes.fromhex(hex_bits.rjust(8, "0")))[0]


@pytest.mark.parametrize("cache", VERBATIM, ids=["trt8401", "trt7000", "trt7202", "cudla8600", "tao100300"])
def test_tensorrts_own_caches_read_and_write_back_byte_for_byte(cache: bytes) -> None:
    table = CalibrationTable.parse(cache, "real.cache")
    assert len(table.amax) == cache.count(b"\n") - 1
    assert table.to_bytes() == cache


def test_zero_scales_and_names_with_spaces_brackets_and_colons() -> None:
    table = CalibrationTable.parse(TRT_8401, "segformer.cache")
    assert (table.version, table.algorithm, table.writer) == (8401, "EntropyCalibration2", "TensorRT 8.4.1")
    assert table.amax["(Unnamed Layer* 64) [Shuffle]_output"] == 0.0 and table.amax["366"] == 0.0
    assert table.amax["(Unnamed Layer* 2811) [TopK]_output_1"] == pytest.approx(_scale("3a82c58b") * 127)
    assert table.amax["491"] == pytest.approx(_scale("40021b0f") * 127)  # a scale above 2
    tao = CalibrationTable.parse(TAO_100300, "cal_trt.bin")
    assert list(tao.amax) == ["input_1:0", "conv1/convolution:0", "output_bbox/BiasAdd:0"]  # split at the last ':'
    assert tao.amax["input_1:0"] == pytest.approx(1.00024, rel=1e-5)


@pytest.mark.parametrize("algorithm", ["EntropyCalibration", "EntropyCalibration2", "MinMaxCalibration",
                                       "LegacyCalibration"])
@pytest.mark.parametrize(("code", "writer"), [(5100, "TensorRT 5.1.0"), (7103, "TensorRT 7.1.3"),
                                              (8510, "TensorRT 8.5.10"), (8602, "TensorRT 8.6.2"),
                                              (100300, "TensorRT 10.3.0"), (101303, "TensorRT 10.13.3"),
                                              (110100, "TensorRT 11.1.0"), (10701, "TensorRT-RTX 1.7.1")])
def test_every_calibrators_header_of_every_version(algorithm: str, code: int, writer: str) -> None:
    table = CalibrationTable.parse(f"TRT-{code}-{algorithm}\ndata: 3c008912\n".encode(), "c.cache")
    assert (table.algorithm, table.version, table.writer) == (algorithm, code, writer)
    assert writer_name(code) == writer


@pytest.mark.parametrize(("line", "why"), [("conv: zz", "not hex"), ("conv: 7fc00000", "NaN scale"),
                                           ("conv: bf800000", "negative scale"), ("conv: 3c0089120", "9 digits"),
                                           ("conv 3c008912", "no colon"), (": 3c008912", "no name"),
                                           ("conv: 7f800000", "infinite scale")])
def test_a_line_trtexec_could_not_read_is_one_line_naming_file_and_line(line: str, why: str) -> None:
    with pytest.raises(TrtkitError, match=r"^my\.cache: line 3 is not '<tensor>: <hex scale>'") as raised:
        CalibrationTable.parse(f"TRT-8401-EntropyCalibration2\ndata: 3c008912\n{line}\n".encode(), "my.cache")
    assert "\n" not in str(raised.value), why


def test_a_legacy_cache_is_used_as_it_is_and_refused_only_against_an_explicit_algo(tmp_path: Path) -> None:
    cache = tmp_path / "legacy.cache"
    cache.write_bytes(b"TRT-7000-LegacyCalibration\ndata: 3c008912\n")
    assert read_table(cache, None).algorithm == "LegacyCalibration"
    with pytest.raises(TrtkitError, match=r"--calibAlgo=minmax, but .*legacy\.cache holds LegacyCalibration"):
        read_table(cache, "minmax")


def test_build_reads_a_tensorrt_cache_and_ignores_tensors_the_model_lacks(tmp_path: Path,
                                                                         capsys: pytest.CaptureFixture[str]) -> None:
    """The MNIST model's own tensors in TensorRT's format (one with a zero scale), plus three lines naming
    tensors only TensorRT's network had: the build uses the eight and says it ignored three."""
    pytest.importorskip("tensorrt_rtx", reason="builds with TensorRT-RTX on the CPU")
    cache = tmp_path / "mnist.cache"
    cache.write_bytes(b"TRT-100300-EntropyCalibration2\nscores: 3e5c848e\n/8/Relu_output_0: 3e52a0b0\n"
                      b"/3/Conv_output_0: 3d6d121d\n/7/Gemm_output_0: 3ecf4fe5\n/2/MaxPool_output_0: 0\n"
                      b"/0/Conv_output_0: 3d89c973\ninput: 3c010204\n/6/Flatten_output_0: 3d3debc7\n"
                      b"(Unnamed Layer* 64) [Shuffle]_output: 0\n366: 0\ninput_1:0: 3c010a14\n")
    before = cache.read_bytes()
    plan = tmp_path / "mnist.plan"
    code, _, err = cli(capsys, "build", "--onnx", MODEL, "--int8", "--calibCache", cache, "--saveEngine", plan,
                       "--skipInference", "--flavor", "rtx")
    assert code == 0, err
    assert f"Calibration cache {cache}: EntropyCalibration2 from TensorRT 10.3.0, 8 tensor ranges used" in err
    assert f"Calibration cache {cache}: 3 of 11 entries name tensors this model does not have; ignored" in err
    assert plan.stat().st_size > 0 and cache.read_bytes() == before  # a cache that was read is never rewritten
