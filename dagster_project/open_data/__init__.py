"""Open publication (issue 23): the published tables as JSON-stat 2.0, SSB-style CSV, XLSX and
HTML, and the DCAT-AP-NO catalogue. Pure helpers: no Dagster, no web server."""
