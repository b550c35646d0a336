"""The exact non-perturbative theory of one-hidden-layer ensembles (docs/action.md)."""
