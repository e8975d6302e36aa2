"""The pure JAX core: data, the network, training, the sweep engine and what it finds."""
