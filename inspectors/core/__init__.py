"""Core: plain data and settings every stage shares — the Trace, the model registry and its snapshot, the seven
thresholds, images, errors, box coding and the bounded caches. Imports no other package of the engine."""
