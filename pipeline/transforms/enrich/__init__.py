"""transforms/enrich: ``Dispatch`` in, ``EnrichedDispatch`` out (language, entities, places, keywords, topics).

Pure core in ``enricher.Enricher`` (load once, ``enrich_batch`` / ``enrich_one``); the Beam composite is
``stage.EnrichDispatches``.  See docs/enrich.md for the models, the measurements and the limits.
"""

from pipeline.transforms.enrich.enricher import Enricher
from pipeline.transforms.enrich.stage import EnrichDispatches

__all__ = ["Enricher", "EnrichDispatches"]
