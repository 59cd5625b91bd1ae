"""The Keras tuner for tunecore (Keras 3 on TensorFlow)."""
