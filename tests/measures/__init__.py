"""Tests of ibkit.measures: oracles, properties, bad input, array backends."""
