"""The cross-validating scikit-learn tuner for tunecore."""
