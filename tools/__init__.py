"""Developer tooling: the local stack, promotion, and helpers shared with the test suite.

Nothing here is imported by `app/` or shipped in the image.
"""
