"""Reports built on the engine (HTML with plotly): kept out of inspectors/, which imports no plotly."""
