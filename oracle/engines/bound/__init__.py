"""The error-bound family: exact values with forward error bounds (:mod:`.errorbound`, the definition;
:mod:`.vecbound`; :mod:`.jitbound`)."""
