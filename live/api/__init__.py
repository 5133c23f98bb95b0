"""Thin HTTP handlers: parse and validate, check who is asking, call one domain function, shape the answer."""
