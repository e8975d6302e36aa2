"""The four XOR patterns of the lecture, in its order: (0,0), (0,1), (1,0), (1,1) -> 0, 1, 1, 0.

The one place they are written: ``PATTERNS`` (plain tuples, for truth tables), ``X`` and ``Y`` (arrays)."""

import numpy as np

PATTERNS = ((0, 0), (0, 1), (1, 0), (1, 1))
TARGETS = (0, 1, 1, 0)  # XOR of each pattern
X = np.array(PATTERNS, dtype=np.float32)
Y = np.array(TARGETS, dtype=np.float32)
