"""Sanctions and PEP screening in the server: the local and yente backends and the `screening` task."""
