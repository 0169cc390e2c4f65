"""Scripts the GitHub Actions workflows (and `make image-test`) run: plain Python, tested in tests/ci."""
