"""One module per tab: `build()` lays out its components; `values(view)` maps a view onto them. No logic here."""
