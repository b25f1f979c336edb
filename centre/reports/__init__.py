"""Reports and dashboards: indicators collected from every app, report templates, background
report runs (PDF, CSV, XLSX) and the director's dashboard."""
