"""The provider contract suite: every provider passes the same tests (docs/providers.md)."""
