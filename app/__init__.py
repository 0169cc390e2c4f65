"""A minimal Starlette HTTP API that runs the same under uvicorn and on AWS Lambda."""

__version__ = "0.1.0"
