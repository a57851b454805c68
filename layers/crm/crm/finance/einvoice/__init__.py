"""French e-invoicing of issued invoices and credit notes: the legal facts fixed at issue and the
mentions the law asks of the PDF (`facts`, `mentions`), the EN 16931 data of a document
(`en16931`), its CII and UBL 2.1 forms (`syntax`), and the Factur-X PDF (`facturx`)."""
