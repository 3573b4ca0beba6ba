"""socialnlp: find service incidents in multilingual social media posts.

The pipeline, one subpackage per stage:
read (``socialnlp.io``) -> embed (``socialnlp.embed``) -> classify (``socialnlp.classify``)
-> cluster (``socialnlp.cluster``) -> alert and route (``socialnlp.signals``) -> evaluate
(``socialnlp.evaluate``); ``socialnlp.scale`` runs scoring on Ray Data.
"""
from socialnlp.io import ContractError, read_incidents, read_posts

__version__ = "0.1.0"
__all__ = ["read_posts", "read_incidents", "ContractError", "__version__"]
