"""The conformance collector's blind spot, closed: a TensorRT call through a value whose type it cannot know (an
unannotated helper parameter, a lambda parameter, an unannotated return, ``getattr``/``setattr`` with a run-time
name) is refused, so a misspelled call there can no longer pass unchecked. ruff's ANN rules on trtkit/ (see
pyproject.toml) refuse the unannotated def before the collector runs; the collector refuses it anyway, and covers
lambdas and getattr, which no annotation rule reaches."""

from __future__ import annotations

import pytest

from conformance.surface import Surface
from conformance.test_conformance import by_version, problems, surface_of

pytestmark = pytest.mark.conformance


@pytest.fixture
def trt11() -> Surface:
    return surface_of(by_version("11.4.0.106"))


def test_misspelled_call_in_an_unannotated_helper_fails(trt11: Surface) -> None:
    """The mutation that escaped before: every problem list below was empty under the old collector."""
    found = problems(
        """
        def configure(config):
            config.set_memroy_pool_limit(trt.MemoryPoolType.WORKSPACE, 1)

        def build(builder: trt.Builder) -> None:
            configure(builder.create_builder_config())
        """,
        trt11,
    )
    assert found == [
        "snippet.py:4 .set_memroy_pool_limit: used on a value whose type cannot be known (parameter 'config' of "
        "configure() has no annotation): annotate it with trt.ClassName in tensorrt 11.4.0.106"
    ]


def test_annotating_the_helper_turns_the_refusal_into_a_check(trt11: Surface) -> None:
    found = problems(
        """
        def misspelled(config: trt.IBuilderConfig) -> None:
            config.set_memroy_pool_limit(trt.MemoryPoolType.WORKSPACE, 1)

        def correct(config: trt.IBuilderConfig) -> None:
            config.set_memory_pool_limit(trt.MemoryPoolType.WORKSPACE, 1)

        def unannotated_but_correct(config):
            config.set_memory_pool_limit(trt.MemoryPoolType.WORKSPACE, 1)
        """,
        trt11,
    )
    assert [f.split(": ")[0] for f in found] == [
        "snippet.py:4 trt.IBuilderConfig.set_memroy_pool_limit(trt.MemoryPoolType.WORKSPACE, 1)",
        "snippet.py:10 .set_memory_pool_limit",  # refused, not checked: the collector cannot know what it is
    ]
    assert "no such method" in found[0] and "has no annotation" in found[1]


def test_lambda_parameters_and_unannotated_returns_are_refused(trt11: Surface) -> None:
    found = problems(
        """
        def make(builder: trt.Builder):
            return builder.create_builder_config()

        def f(builder: trt.Builder, configs: list[trt.IBuilderConfig]) -> None:
            apply = lambda c: c.set_flagg(trt.BuilderFlag.DEBUG)
            apply(builder.create_builder_config())
            make(builder).clear_flagg(trt.BuilderFlag.DEBUG)
            sorted(configs, key=lambda c: c.builder_optimisation_level)
        """,
        trt11,
    )
    assert [f.split(": ")[0] for f in found] == [
        "snippet.py:7 .set_flagg", "snippet.py:9 .clear_flagg", "snippet.py:10 .builder_optimisation_level",
    ]
    assert "of a lambda" in found[0] and "make() has no return annotation" in found[1]


def test_getattr_and_setattr_with_run_time_names_are_refused(trt11: Surface) -> None:
    found = problems(
        """
        def f(config: trt.IBuilderConfig, name: str, level: int) -> None:
            getattr(config, "set_flagg")(trt.BuilderFlag.DEBUG)
            getattr(config, "set_flag")(trt.BuilderFlag.DEBUG)
            getattr(config, name)(trt.BuilderFlag.DEBUG)
            setattr(config, name, level)
            setattr(config, "builder_optimization_level", level)
            getattr(trt, name)
            getattr(trt.BuilderFlag, name)  # an enum member: typed as that enum, as before
        """,
        trt11,
    )
    assert [f.split(": ")[0] for f in found] == [
        "snippet.py:4 trt.IBuilderConfig.set_flagg",
        "snippet.py:6 getattr(config, name)",
        "snippet.py:7 setattr(config, name, level)",
        "snippet.py:9 getattr(trt, name)",
    ]
    assert "no such attribute" in found[0]
    assert all("named only at run time cannot be checked" in f for f in found[1:])


def test_a_union_of_tensorrt_classes_is_refused_not_skipped(trt11: Surface) -> None:
    """``trt.A | trt.B`` used to read as no type at all, so a misspelled attribute through it passed unchecked;
    Optional (``trt.A | None``) stays a check against A."""
    found = problems(
        """
        def kernel(layer: trt.IConvolutionLayer | trt.IDeconvolutionLayer) -> object:
            return layer.kernel_size_ndx

        def optional(layer: trt.IConvolutionLayer | None) -> object:
            return layer.kernel_size_ndx
        """,
        trt11,
    )
    assert [f.split(": ")[0] for f in found] == [
        "snippet.py:4 .kernel_size_ndx",
        "snippet.py:7 trt.IConvolutionLayer.kernel_size_ndx",
    ]
    assert "names several types; annotate one" in found[0] and "no such" in found[1]
