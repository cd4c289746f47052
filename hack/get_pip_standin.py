# -*- coding: utf-8 -*-
# Copyright: Contributors to the emnify.iot collection
# GNU General Public License v3.0+ (see https://www.gnu.org/licenses/gpl-3.0.txt)
"""Offline stand-in for ansible-test's get-pip bootstrap script.

ansible-test bootstraps pip into the empty virtual environments it creates by running a get-pip
script that it downloads once and keeps as ~/.ansible/test/cache/get_pip_<version>.py. Where that
download host cannot be reached, this file is placed there instead: it installs the pip bundled
with Python (ensurepip), then lets that pip install the requested packages (for example the exact
pip version ansible-test wants) from the configured package index.
"""

import subprocess
import sys

# Marker that tells hack/ansible-test.sh this file may be refreshed: emnify-iot-get-pip-standin

DROPPED = ('--no-setuptools', '--no-wheel')


def main():
    args = [arg for arg in sys.argv[1:] if arg not in DROPPED]
    subprocess.check_call([sys.executable, '-m', 'ensurepip', '--default-pip'], stdout=subprocess.DEVNULL)
    subprocess.check_call([sys.executable, '-m', 'pip', 'install'] + args)


if __name__ == '__main__':
    main()
