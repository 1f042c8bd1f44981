import sys

from emohead.cli import main

sys.exit(main())
