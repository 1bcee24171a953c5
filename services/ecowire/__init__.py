"""ecowire: Chinese environment news in, structured facts out."""
__version__ = "0.1.0"
