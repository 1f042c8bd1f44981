"""analytic: visemes + FACS emotion prototypes + blinks + head motion; no training, no weights (``model.py``)."""

from emohead.spec import ModelSpec

SPEC = ModelSpec(
    name="analytic",
    summary="visemes with coarticulation + calibrated FACS emotion prototypes + blinks + head motion; no training",
    package=__name__,
    entry="model:AnalyticMotionModel",
    conditions=frozenset({"label", "timeline", "intensity_curve", "reference"}),
)
