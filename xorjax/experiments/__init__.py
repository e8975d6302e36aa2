"""One module per experiment, each a ``run(cfg: Config, out: Path)``; ``check(cfg)`` if it reads files."""
