"""Finance: quotes, invoices, credit notes and purchase orders (exact money, per-rate tax, gapless
numbers at issue, archival PDFs, sending), payments, and the finance settings."""
