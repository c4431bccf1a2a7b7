from __future__ import annotations

from hostiso.cli import run

if __name__ == "__main__":
    run()
