"""bench: trtexec's performance measurement (timing loops per backend -> trace -> stats -> reports)."""
