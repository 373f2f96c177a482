"""The certified family: values with certified digits (:mod:`.interval`, the definition; :mod:`.arb`; :mod:`.jitarb`)."""
