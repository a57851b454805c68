"""Reports: each with its filters, as JSON, CSV, XLSX, PDF (and its chart as SVG); subscriptions that email them on a schedule."""
