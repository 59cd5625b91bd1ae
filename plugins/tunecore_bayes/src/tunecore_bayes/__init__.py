"""Gaussian-process Bayesian optimization and Hyperband oracles for tunecore."""
