"""`python -m clustersim` runs the command line."""

import sys

from clustersim.cli import main

sys.exit(main())
