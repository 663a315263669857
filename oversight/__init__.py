"""Supervision (监管): auditors' findings, assessment schemes, compliance as of any date, rankings."""
