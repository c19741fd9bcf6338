"""Compiles the comparator's hot loop (`comparator/walk.py`) to C with Cython.

Everything else about the package is declared in pyproject.toml. The module is
plain Python, so where no C compiler is at hand the package still installs and
runs it interpreted: the same results, only slower. pip shows the failed build
only with `-v`; `shadowdiff status` says which one runs.
"""

from Cython.Build import cythonize
from setuptools import Extension, setup

extensions = cythonize(
    [Extension("comparator.walk", ["comparator/walk.py"])],
    compiler_directives={"language_level": 3},
    # Cython skips a source older than its C file, and would then miss a change
    # made here; the C is regenerated on every build instead.
    force=True,
    quiet=True,
)
for extension in extensions:
    # A compiler that fails leaves the module interpreted instead of failing the
    # install. Set here: cythonize makes new extensions and drops `optional`.
    extension.optional = True

setup(ext_modules=extensions)
