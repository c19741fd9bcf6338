"""Pure comparison of a primary and a candidate response.

No Kafka, Faust, SQLAlchemy or environment reads in here (a test keeps it so):
everything the comparator needs arrives as arguments.
"""

from comparator.model import Comparison, Difference, Kind, Observation, Result, Verdict

__all__ = ["Comparison", "Difference", "Kind", "Observation", "Result", "Verdict"]
