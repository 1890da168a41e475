"""Load, chaos and ceiling tools for caseroom (loopback only, bounded)."""
