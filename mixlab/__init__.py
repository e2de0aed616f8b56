"""mixlab: the helper library of the data-mixture-optimization course.

Import submodules by concept, e.g. ``from mixlab.world import generate_world``.
``import mixlab`` itself stays light: it imports no numpy-heavy or plotting code.
"""

__version__ = "0.1.0"

__all__ = ["__version__"]
