"""``python -m alignn_nb.cli``: the ``alignn-nb`` command."""

import sys

from alignn_nb.cli import main

sys.exit(main())
