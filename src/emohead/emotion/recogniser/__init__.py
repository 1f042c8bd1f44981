"""recogniser: the project's own emotion recogniser on blendshape sequences (MF-ETalk's stand-in for HSEmotion),
trained with ``emohead train recogniser``; used by mfetalk's emotion-consistency loss and by ``emohead eval``
(emotion accuracy from motion). Weights: ``assets/weights/recogniser``; accuracy: ``benchmarks/recogniser.py``."""

from emohead.spec import Spec

SPEC = Spec(
    name="recogniser",
    summary="emotion recogniser on blendshape sequences (8 emotions), for mfetalk's emotion-consistency loss and eval",
    package=__name__,
    entry="network:MotionEmotionNet",
    network="network:MotionEmotionNet",
    dataset="training:RecogniserData",
    module="training:RecogniserModule",
    weights="recogniser",
    extra="train",
)


def load_recogniser(weights=None):
    """The bundled recogniser (or ``weights``, a folder), in eval mode."""
    from emohead.weights import resolve_weights

    return SPEC.load(SPEC.network).from_pretrained(resolve_weights(weights or SPEC.weights_location, "recogniser weights")).eval()
