import sys

from gcngan.cli import main

sys.exit(main())
