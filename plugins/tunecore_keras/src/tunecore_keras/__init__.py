"""The Keras tuner for tunecore (Keras 3 on TensorFlow, JAX or PyTorch).

Use it through tunecore, as Keras Tuner code does: ``tunecore.RandomSearch``,
``tunecore.Hyperband``, ``tunecore.Tuner``... Importing this package does not
import Keras; its modules do.
"""
