import sys

from tunecore.cli import main

sys.exit(main())
