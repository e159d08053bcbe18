"""Provenance: visible label, invisible watermark, implicit metadata, C2PA; and verification."""
