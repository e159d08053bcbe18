"""Face engines behind one Protocol (:mod:`facegate.swap.base`)."""
