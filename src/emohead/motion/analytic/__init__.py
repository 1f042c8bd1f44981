"""analytic: visemes (+ the mouth whisper hears, ``heard.py``) + FACS emotion prototypes + blinks + head motion; no network (``model.py``)."""

from emohead.spec import ModelSpec

SPEC = ModelSpec(
    name="analytic",
    summary="visemes with coarticulation (+ the mouth whisper hears, with the asr extra) + calibrated FACS emotion prototypes + blinks + head motion; no network",
    package=__name__,
    entry="model:AnalyticMotionModel",
    conditions=frozenset({"label", "timeline", "intensity_curve", "reference"}),
)
