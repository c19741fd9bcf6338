"""Compiles the comparator's hot loop (`comparator/walk.py`) to C with Cython.

Everything else about the package is declared in pyproject.toml. The module is
plain Python, so where no C compiler is at hand the build says so and the
package installs with the module interpreted: the same results, only slower
(`shadowdiff status` says which one runs).
"""

from Cython.Build import cythonize
from setuptools import Extension, setup

setup(
    ext_modules=cythonize(
        [Extension("comparator.walk", ["comparator/walk.py"], optional=True)],
        compiler_directives={"language_level": 3},
        quiet=True,
    )
)
