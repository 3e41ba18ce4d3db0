"""Pure rules of the hub: access, filters, scoring, coverage, taxonomy, geo. No I/O here."""
