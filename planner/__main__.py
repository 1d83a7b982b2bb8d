"""``python -m planner``: the ``plan`` command."""

from planner.cli import main

if __name__ == "__main__":
    main()
