"""The prediction service: FastAPI app over a model bundle (``create_app``)."""
