"""Tools around the service: the command line, synthetic data, import reports."""
