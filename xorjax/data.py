"""The four XOR patterns of the lecture, in its order: (0,0), (0,1), (1,0), (1,1) -> 0, 1, 1, 0."""

import numpy as np

X = np.array([[0, 0], [0, 1], [1, 0], [1, 1]], dtype=np.float32)
Y = np.array([0, 1, 1, 0], dtype=np.float32)
