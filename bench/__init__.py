"""Cloudlet's benchmark harness: Cloudlet against a floor server, both measured in one run (see README.md)."""
