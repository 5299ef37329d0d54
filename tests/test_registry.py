import pytest

from talkbench.core.errors import UnknownNameError
from talkbench.core.registry import Registry


def test_register_lookup_alias_and_did_you_mean() -> None:
    reg: Registry[int] = Registry("thing")
    reg.register("alpha", aliases=("a",))(1)
    assert reg.get("alpha") == 1 and reg.get("a") == 1
    with pytest.raises(UnknownNameError, match="did you mean 'alpha'"):
        reg.get("alpah")
    with pytest.raises(UnknownNameError, match="unknown thing 'zzz'"):
        reg.get("zzz")


def test_lazy_entry_is_imported_on_first_lookup() -> None:
    reg: Registry[object] = Registry("thing")
    reg.register_lazy("join", "os.path:join")
    assert "join" in reg and reg.names() == ["join"]
    import os.path

    assert reg.get("join") is os.path.join


def test_builtin_plugins_resolve() -> None:
    from talkbench.core.registries import METHODS, METRICS

    assert {"oracle", "static", "retrieval"} <= set(METHODS.names())
    assert METHODS.get("static").name == "static"
    assert {"psnr", "ssim", "lpips"} <= set(METRICS.names())
    with pytest.raises(UnknownNameError, match="did you mean 'lpips'"):
        METRICS.get("lpip")
