"""What each command does (build, infer, compare, eval, ...), over the build side, backends and data."""
