# The tested matrix: which ansible-core releases each change is tested with, and on which Pythons.
# Read by the Makefile, hack/ansible-test.sh and tests/unit/test_matrix.py (which checks that README.md and
# meta/runtime.yml say the same). One venv per release: hack/requirements/ansible-core-RELEASE.txt.

# Every release runs the sanity and unit tests, on the controller Python named for it (ansible-core 2.16 and 2.17
# support Python 3.10-3.12 there, 2.18 and 2.19 3.11-3.13, 2.20 and 2.21 3.12-3.14).
CORES := 2.16 2.17 2.18 2.19 2.20 2.21
PYTHON_2.16 := 3.10
PYTHON_2.17 := 3.11
PYTHON_2.18 := 3.12
PYTHON_2.19 := 3.13
PYTHON_2.20 := 3.12
PYTHON_2.21 := 3.13

# The oldest and the newest also run the integration tests.
INTEGRATION_CORES := 2.16 2.21

# Module code (modules, module_utils) is compiled for these target Pythons, with the newest release.
TARGET_PYTHONS := 3.9 3.10 3.11 3.12 3.13
