"""The lecture's own lessons: derivatives three ways, the computational graph, formulas."""
