"""Pydantic models of what the API accepts and returns; the OpenAPI document is generated from them."""
