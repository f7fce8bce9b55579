"""Elasticity Monte Carlo: reproducible, sign-preserving, bands ordered."""

from __future__ import annotations

import numpy as np
import pytest

from critmin.errors import InvalidParameterError
from critmin.models.pe.data import toy_baseline
from critmin.models.pe.sensitivity import ElasticityDraws, draw_factors, scaled
from critmin.scenario import Scenario, Shock
from critmin.scenario.pe import Elasticities

EL = Elasticities(import_demand=-0.5, export_supply=0.5, substitution=3.0, by_mineral=(),
                  by_country=(("CHN", (("export_supply", 0.3),)),))
SC = Scenario("q", shocks=(Shock("export_quota", exporters=("CHN",), importers=None,
                                                  share=0.5),))


def test_scaling_keeps_signs_and_scales_overrides() -> None:
    el = scaled(EL, {"import_demand": 2.0, "export_supply": 0.5, "substitution": 1.5})
    assert el.import_demand == -1.0 and el.substitution == 4.5
    assert el.value("export_supply", "gallium", "CHN") == pytest.approx(0.15)
    assert (draw_factors(100, 0.5, 1) > 0).all()


def test_draws_are_reproducible_and_bands_are_ordered() -> None:
    d = ElasticityDraws(n_draws=12, batch=5, scheduler="synchronous", seed=3, elasticities=EL)
    a, b = d.run(toy_baseline(), SC), d.run(toy_baseline(), SC)
    assert a.equals(b) and a["draw"].nunique() == 12 and a["feasible"].all()
    bands = ElasticityDraws.bands(a).set_index("country")
    assert (bands["world_price_change_share_p05"] <= bands["world_price_change_share_median"]).all()
    assert (bands["world_price_change_share_median"] <= bands["world_price_change_share_p95"]).all()
    # a binding export quota raises what the importers pay in every draw
    usa = a[a.country == "USA"]["composite_price_change_share"]
    assert (usa > 0).all()


def test_threads_scheduler_gives_the_same_draws() -> None:
    ser = ElasticityDraws(n_draws=6, batch=2, scheduler="synchronous", elasticities=EL).run(toy_baseline(), SC)
    par = ElasticityDraws(n_draws=6, batch=2, scheduler="threads", elasticities=EL).run(toy_baseline(), SC)
    np.testing.assert_allclose(ser["world_price_change_share"], par["world_price_change_share"])


@pytest.mark.parametrize("kwargs", [{"n_draws": 0}, {"spread": -1.0}, {"scheduler": "cluster"}])
def test_bad_parameters_are_named(kwargs: dict) -> None:
    with pytest.raises(InvalidParameterError, match=next(iter(kwargs))):
        ElasticityDraws(**kwargs)
