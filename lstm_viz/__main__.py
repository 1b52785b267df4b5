"""python -m lstm_viz: see lstm_viz/cli.py."""

import sys

from .cli import main

sys.exit(main())
