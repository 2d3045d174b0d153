"""``python -m beffroi.sim cameras 4 --port 8554``."""

from beffroi.sim.cli import main

raise SystemExit(main())
