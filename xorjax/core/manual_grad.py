"""Back-propagation written by hand (labs 9-x and 9-7): the network's gradients by the chain rule.

The forward pass goes layer by layer and keeps what the backward pass will need, every layer's input
``h`` (``h[0]`` is X); the backward pass visits the same layers in reverse.  For a layer
z = h·W + b followed by an activation, with dz = ∂cost/∂z arriving from above:

    ∂cost/∂W = hᵀ·dz        (∂z_j/∂W_ij = h_i, summed over the patterns)
    ∂cost/∂b = Σ dz          (∂z_j/∂b_j = 1)
    ∂cost/∂h = dz·Wᵀ        (∂z_j/∂h_i = W_ij, summed over the units h_i feeds)
    dz below = ∂cost/∂h · act'(z)

Same shapes as the training engine: X (N, in), W (in, out, *B), b (out, *B) for any trailing start axes B,
so ``train`` can use these gradients in place of ``jax.grad`` (``grad=manual``).
"""

import jax.numpy as jnp

from xorjax.core import model


def forward(params, X, activation: str = "sigmoid"):
    """The hypothesis, keeping every layer's input: returns ([X, h1, h2, ...], output logit z of shape (N, *B))."""
    layers = [(params[f"W{l}"], params[f"b{l}"]) for l in range(1, model.n_layers(params) + 1)]  # matrices
    z, hidden = model.forward(layers, X, activation)
    return [jnp.asarray(X, z.dtype), *hidden], z


def _per_pattern(Y, z):
    """Targets (N,) broadcast against a logit of shape (N, *B)."""
    Y = jnp.asarray(Y, z.dtype)
    return Y.reshape(Y.shape + (1,) * (z.ndim - 1))


def cost(params, X, Y, activation: str = "sigmoid", loss: str = "bce"):
    """The lecture's cost, vectorised as its labs write it: mean over the patterns."""
    _, z = forward(params, X, activation)
    return jnp.mean(model.LOSSES[loss].fn(z, _per_pattern(Y, z)), axis=0)


def value_and_grad(params, X, Y, activation: str = "sigmoid", loss: str = "bce"):
    """Cost, accuracy and ∂cost/∂params (a dict like ``params``), by the chain rule written out."""
    hs, z = forward(params, X, activation)
    Y = _per_pattern(Y, z)
    yhat = model.sigmoid(z)
    c = jnp.mean(model.LOSSES[loss].fn(z, Y), axis=0)
    accuracy = jnp.mean(((yhat > 0.5) == (Y > 0.5)).astype(z.dtype), axis=0)
    dz = (model.LOSSES[loss].dz(yhat, Y) / z.shape[0])[:, None]  # the mean's 1/N; (N, 1, *B) like the last layer's z
    grads = {}
    for l in range(model.n_layers(params), 0, -1):
        h = hs[l - 1]
        grads[f"W{l}"] = jnp.einsum("ni...,nj...->ij...", h, dz)
        grads[f"b{l}"] = jnp.sum(dz, axis=0)
        if l > 1:
            dh = jnp.einsum("nj...,ij...->ni...", dz, params[f"W{l}"])
            dz = dh * model.ACTIVATIONS[activation].grad(h)
    return c, accuracy, grads


def grad(params, X, Y, activation: str = "sigmoid", loss: str = "bce") -> dict:
    return value_and_grad(params, X, Y, activation, loss)[2]
